import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MemoryIncidentStore,
  MemoryNonceStore,
  MemorySeenStore,
  MemorySuppressionStore,
  MemoryTranscriptWatch,
  MemoryWindowStore,
} from '#cli/state';
import {
  incidentContract,
  nonceContract,
  seenContract,
  suppressionContract,
  transcriptWatchContract,
  windowMembersContract,
} from '#test/helpers/state-contract';
import { timeRatio } from '#test/helpers/timing';

describe('MemoryWindowStore members (contract)', () => {
  windowMembersContract(() => new MemoryWindowStore());
});

describe('MemorySeenStore (contract)', () => {
  seenContract(() => new MemorySeenStore());
});

describe('MemoryIncidentStore (contract)', () => {
  incidentContract(() => new MemoryIncidentStore());
});

describe('MemorySuppressionStore (contract)', () => {
  suppressionContract(() => new MemorySuppressionStore());
});

describe('MemoryNonceStore (contract)', () => {
  nonceContract(() => new MemoryNonceStore());
});

describe('MemoryTranscriptWatch (contract)', () => {
  transcriptWatchContract(() => new MemoryTranscriptWatch());
});

describe('MemoryWindowStore with ids reached at several times (fan-out targets)', () => {
  /** Checks hit, count and members at each hit against a brute force over every (id, time) recorded. */
  async function agree(hits: ReadonlyArray<readonly [number, number]>) {
    const w = new MemoryWindowStore();
    const rec: Array<[string, number]> = [];
    let newest = Number.NEGATIVE_INFINITY;
    for (const [n, t] of hits) {
      const id = `i-${n}`;
      newest = Math.max(newest, t);
      const before = await w.count('k', id, t, 10);
      const got = await w.hit('k', id, t, 10);
      rec.push([id, t]);
      // Pairs far behind the newest may be forgotten (the store's bound); within reach it is exact.
      if (t < newest - 10) continue;
      const inWindow = new Set(rec.filter(([, x]) => x >= t - 10 && x <= t).map(([i]) => i));
      expect(got).toBe(inWindow.size);
      expect(await w.members('k', t, 10)).toEqual(inWindow);
      inWindow.delete(id);
      expect(before).toBe(inWindow.size);
    }
  }
  const pair = (ids: number) => fc.tuple(fc.integer({ min: 0, max: ids }), fc.integer({ min: 0, max: 60 }));

  it('exact in any order while an id has at most 8 times', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pair(9), { maxLength: 50 }), async (hits) => {
        for (let n = 0; n <= 9; n++)
          fc.pre(new Set(hits.filter(([i]) => i === n).map(([, t]) => t)).size <= 8);
        await agree(hits);
      }),
      { numRuns: 300 },
    );
  });

  it('exact in time order however often an id comes back', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(pair(2), { minLength: 30, maxLength: 100 }), async (hits) => {
        await agree([...hits].sort((a, b) => a[1] - b[1]));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps at most 8 times per id: the earliest are forgotten', async () => {
    const w = new MemoryWindowStore();
    for (let t = 0; t < 20; t++) await w.hit('k', 'i-1', t, 100);
    expect(await w.members('k', 11, 100)).toEqual(new Set()); // times 0..11 were forgotten
    expect(await w.members('k', 12, 100)).toEqual(new Set(['i-1']));
    expect(await w.hit('k', 'i-1', 3, 100)).toBe(0); // earlier than all kept: not recorded, not counted
    expect(await w.members('k', 11, 100)).toEqual(new Set());
  });
});

describe('MemorySeenStore bound', () => {
  it('forgets the least recently marked key beyond maxKeys', async () => {
    const s = new MemorySeenStore(2);
    await s.mark('a', 1, 30);
    await s.mark('b', 2, 30);
    await s.mark('a', 0, 30); // refreshed, time kept at 1
    await s.mark('c', 3, 30);
    expect(await s.last('b')).toBeUndefined();
    expect(await s.last('a')).toBe(1);
    expect(await s.last('c')).toBe(3);
  });
});

describe('MemoryTranscriptWatch bounds and order', () => {
  it('keeps at most maxEntries expectations, dropping the earliest due', async () => {
    const s = new MemoryTranscriptWatch(3);
    for (const [id, t] of [
      ['d', 40],
      ['a', 10],
      ['c', 30],
      ['b', 20],
    ] as const)
      await s.expect(id, t);
    expect(await s.due(0, 100)).toEqual(['b', 'c', 'd']);
    await s.expect('a', 10); // re-added: now the earliest, dropped at once
    expect(await s.due(0, 100)).toEqual(['b', 'c', 'd']);
    await s.expect('e', 50);
    expect(await s.due(0, 100)).toEqual(['c', 'd', 'e']);
    await s.expect('b', 20); // forgotten with its expectation, so kept again (and dropped again)
    expect(await s.due(0, 100)).toEqual(['c', 'd', 'e']);
  });

  it('stays exact over many drops and out-of-order inserts', async () => {
    const s = new MemoryTranscriptWatch(500);
    const all: Array<[string, number]> = [];
    for (let i = 0; i < 5_000; i++) {
      const t = i * 10 + ((i * 7) % 13) * 10; // mostly rising, sometimes earlier than the last
      all.push([`s-${i}`, t]);
      await s.expect(`s-${i}`, t);
    }
    all.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    const kept = all.slice(-500);
    expect(await s.due(0, Number.MAX_SAFE_INTEGER)).toEqual(kept.map(([id]) => id));
    const [from, to] = [kept[100]![1], kept[200]![1]];
    expect(await s.due(from, to)).toEqual(kept.filter(([, t]) => t >= from && t < to).map(([id]) => id));
  });

  it('forgets the least recently arrived transcript beyond maxEntries', async () => {
    const s = new MemoryTranscriptWatch(2);
    await s.arrived('a', 1);
    await s.arrived('b', 2);
    await s.arrived('a', 3);
    await s.arrived('c', 4);
    expect(await s.transcriptSeen('b')).toBe(false);
    expect(await s.transcriptSeen('a')).toBe(true);
    expect(await s.transcriptSeen('c')).toBe(true);
  });
});

describe('MemoryWindowStore on hostile input: a call costs its limit, not the window', () => {
  /** One principal reaching `n` distinct targets (each twice) in one window, as the pipeline asks. */
  const fanOut = (n: number) => () => {
    const s = new MemoryWindowStore();
    const w = 600_000;
    for (let i = 0; i < n; i++) {
      // The store's methods do not await: called synchronously, so CPU time is theirs.
      void s.members('fan', 1_000 + i, w, 3);
      void s.hit('fan', `t${i}`, 1_000 + i, w, 3);
      void s.hit('fan', `t${i}`, 1_000 + i, w, 3);
      void s.count('fan', `t${i}`, 1_000 + i, w, 5);
    }
  };

  it('4x the targets in one window costs about 4x (quadratic would be 16x)', () => {
    expect(timeRatio(fanOut(2_000), fanOut(8_000))).toBeLessThan(8);
  });

  it('limits saturate: members and counts stop at the limit, exact below it', async () => {
    const s = new MemoryWindowStore();
    for (let i = 0; i < 50; i++) await s.hit('k', `t${i % 20}`, 1_000 + i, 600_000);
    expect((await s.members('k', 2_000, 600_000, 3)).size).toBe(3);
    expect((await s.members('k', 2_000, 600_000)).size).toBe(20);
    expect(await s.count('k', 't0', 2_000, 600_000, 5)).toBe(5);
    expect(await s.count('k', 't0', 2_000, 600_000)).toBe(19);
  });
});
