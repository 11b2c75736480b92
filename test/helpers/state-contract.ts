import { expect, it } from 'vitest';
import type { SeenStore, TranscriptWatch, WindowStore } from '#shared/state/types';

/**
 * The contracts of shared/state/types.ts as tests, run against the in-memory stores (test/cli) and the
 * DynamoDB ones on dynalite (test/aws): call inside a describe. `make` gives an empty store each time.
 */
type Make<T> = () => T | Promise<T>;

const MIN = 60_000;

export function windowMembersContract(make: Make<WindowStore>): void {
  it('members: the distinct ids within [t - window, t], edges included, read only', async () => {
    const s = await make();
    const w = 10 * MIN;
    const base = 3_000 * w - MIN; // one minute before a bucket edge
    expect(await s.members('fan', base, w)).toEqual(new Set());
    expect(await s.hit('fan', 'i-1', base, w)).toBe(1); // members wrote nothing
    await s.hit('fan', 'i-2', base + 30_000, w);
    await s.hit('fan', 'i-2', base + 30_000, w); // re-delivery
    await s.hit('fan', 'i-3', base + 2 * MIN, w); // across the bucket edge
    await s.hit('other', 'i-9', base, w);
    expect(await s.members('fan', base + 2 * MIN, w)).toEqual(new Set(['i-1', 'i-2', 'i-3']));
    expect(await s.members('fan', base + w, w)).toEqual(new Set(['i-1', 'i-2', 'i-3'])); // i-1 on the edge
    expect(await s.members('fan', base + w + 1, w)).toEqual(new Set(['i-2', 'i-3']));
    expect(await s.members('fan', base + 30_000 - 1, w)).toEqual(new Set(['i-1'])); // i-2 is later
    expect(await s.members('nobody', base, w)).toEqual(new Set());
  });

  it('members: an id reached again later stays in the window, counted once', async () => {
    const s = await make();
    const w = 10 * MIN;
    const base = 4_000 * w;
    await s.hit('fan', 'i-1', base, w);
    await s.hit('fan', 'i-2', base + 3 * MIN, w);
    expect(await s.hit('fan', 'i-1', base + 9 * MIN, w)).toBe(2);
    // The first time of i-1 left the window; its second one holds it in.
    expect(await s.members('fan', base + 12 * MIN, w)).toEqual(new Set(['i-1', 'i-2']));
    expect(await s.count('fan', 'i-2', base + 12 * MIN, w)).toBe(1);
    expect(await s.members('fan', base + 19 * MIN + 1, w)).toEqual(new Set());
  });
}

export function seenContract(make: Make<SeenStore>): void {
  it('last: undefined for an unknown key, then the latest time marked', async () => {
    const s = await make();
    expect(await s.last('seen#p1')).toBeUndefined();
    await s.mark('seen#p1', 2_000, 30);
    expect(await s.last('seen#p1')).toBe(2_000);
    await s.mark('seen#p1', 2_000, 30); // idempotent
    expect(await s.last('seen#p1')).toBe(2_000);
    await s.mark('seen#p1', 1_000, 30); // an earlier, late event changes nothing
    expect(await s.last('seen#p1')).toBe(2_000);
    await s.mark('seen#p1', 3_000, 30);
    expect(await s.last('seen#p1')).toBe(3_000);
    expect(await s.last('seen#p2')).toBeUndefined();
  });

  it('concurrent marks keep the maximum', async () => {
    const s = await make();
    const times = [5, 9, 1, 7, 3, 8, 2, 6].map((n) => n * 1_000);
    await Promise.all(times.map((t) => s.mark('seen#race', t, 30)));
    expect(await s.last('seen#race')).toBe(9_000);
  });
}

export function transcriptWatchContract(make: Make<TranscriptWatch>): void {
  const m = 29_000_000; // a minute number: due buckets start at m * MIN

  it('due: [from, to) to the millisecond, across minute edges', async () => {
    const s = await make();
    const at = {
      before: m * MIN - 1,
      start: m * MIN,
      end: m * MIN + MIN - 1,
      next: (m + 1) * MIN,
      mid: m * MIN + 30_000,
    };
    for (const [id, t] of Object.entries(at)) await s.expect(id, t);
    expect(await s.due(m * MIN, (m + 1) * MIN)).toEqual(['start', 'mid', 'end']);
    expect(await s.due(m * MIN + 30_000, m * MIN + 30_001)).toEqual(['mid']);
    expect(await s.due(m * MIN + 1, m * MIN + 30_000)).toEqual([]);
    expect(await s.due(m * MIN - 1, (m + 1) * MIN + 1)).toEqual(['before', 'start', 'mid', 'end', 'next']);
    expect(await s.due(m * MIN, m * MIN)).toEqual([]);
    expect(await s.due((m + 1) * MIN, m * MIN)).toEqual([]);
  });

  it('due: back-to-back windows return every expectation exactly once', async () => {
    const s = await make();
    const dues = Array.from({ length: 40 }, (_, i) => m * MIN + i * 7_919); // spread over 6 minutes
    for (const [i, t] of dues.entries()) await s.expect(`s-${i}`, t);
    const cuts = [
      m * MIN - 5,
      m * MIN + 12_345,
      m * MIN + 60_000,
      m * MIN + 60_001,
      m * MIN + 200_000,
      (m + 7) * MIN,
    ];
    const got: string[] = [];
    for (let i = 1; i < cuts.length; i++) got.push(...(await s.due(cuts[i - 1]!, cuts[i]!)));
    expect(got).toEqual(dues.map((_, i) => `s-${i}`));
  });

  it('expect is idempotent; ids come in due order, each once at its earliest due time', async () => {
    const s = await make();
    const base = (m + 100) * MIN;
    await s.expect('late', base + 50_000);
    await s.expect('early', base + 10_000);
    await s.expect('early', base + 10_000);
    await s.expect('twice', base + 70_000);
    await s.expect('twice', base + 20_000);
    await Promise.all(['c1', 'c2', 'c3', 'c1'].map((id) => s.expect(id, base + 30_000)));
    expect(await s.due(base, base + 2 * MIN)).toEqual(['early', 'twice', 'c1', 'c2', 'c3', 'late']);
    expect(await s.due(base + 60_000, base + 2 * MIN)).toEqual(['twice']);
  });

  it('transcriptSeen: only after an arrival of that session', async () => {
    const s = await make();
    expect(await s.transcriptSeen('s-1')).toBe(false);
    await s.arrived('s-1', m * MIN);
    await s.arrived('s-1', m * MIN); // idempotent
    expect(await s.transcriptSeen('s-1')).toBe(true);
    expect(await s.transcriptSeen('s-2')).toBe(false);
  });

  it('streaming: the scope had an arrival at or after atMs - withinMs', async () => {
    const s = await make();
    const scope = { account: '111122223333', region: 'eu-west-1' };
    const t = m * MIN;
    const within = 7 * 86_400_000;
    expect(await s.streaming(scope, t, within)).toBe(false);
    await s.arrived('s-1', t, scope);
    expect(await s.streaming(scope, t + within, within)).toBe(true); // edge included
    expect(await s.streaming(scope, t + within + 1, within)).toBe(false);
    expect(await s.streaming(scope, t - 1_000, within)).toBe(true); // a later arrival counts too
    expect(await s.streaming({ ...scope, region: 'us-east-1' }, t, within)).toBe(false);
    expect(await s.streaming({ account: '444455556666', region: 'eu-west-1' }, t, within)).toBe(false);
    // A scope without account or Region matches nothing, and is not recorded.
    expect(await s.streaming({ account: scope.account }, t, within)).toBe(false);
    await s.arrived('s-2', t, { region: 'ap-south-1' });
    expect(await s.streaming({ region: 'ap-south-1' }, t, within)).toBe(false);
    expect(await s.streaming({ account: '', region: 'ap-south-1' }, t, within)).toBe(false);
    expect(await s.transcriptSeen('s-2')).toBe(true);
  });

  it('streaming: an older arrival never lowers the latest', async () => {
    const s = await make();
    const scope = { account: '111122223333', region: 'eu-west-2' };
    const t = m * MIN;
    await s.arrived('s-new', t + 5 * MIN, scope);
    await s.arrived('s-old', t, scope);
    expect(await s.streaming(scope, t + 5 * MIN + 60_000, 60_000)).toBe(true);
  });

  it('cursor: undefined until advanced, never moves back', async () => {
    const s = await make();
    expect(await s.cursor()).toBeUndefined();
    await s.advance(m * MIN);
    expect(await s.cursor()).toBe(m * MIN);
    await s.advance(m * MIN - 1);
    expect(await s.cursor()).toBe(m * MIN);
    await s.advance(m * MIN + 1);
    expect(await s.cursor()).toBe(m * MIN + 1);
    await Promise.all([3, 9, 1, 5].map((n) => s.advance(m * MIN + n * 1_000)));
    expect(await s.cursor()).toBe(m * MIN + 9_000);
  });
}
