import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySessionStore, MemoryWindowStore } from '#cli/state';

describe('MemoryWindowStore', () => {
  it('counts distinct events of a key within the window ending at each hit', async () => {
    const w = new MemoryWindowStore();
    const min = 60_000;
    expect(await w.hit('p', 'e1', 0, 10 * min)).toBe(1);
    expect(await w.hit('p', 'e2', 5 * min, 10 * min)).toBe(2);
    expect(await w.hit('p', 'e2', 5 * min, 10 * min)).toBe(2); // re-delivery counts once
    expect(await w.hit('q', 'e3', 5 * min, 10 * min)).toBe(1); // other key
    expect(await w.hit('p', 'e4', 12 * min, 10 * min)).toBe(2); // e1 left the window
    expect(await w.hit('p', 'e5', 60 * min, 10 * min)).toBe(1);
  });

  it('agrees with a brute-force count for any order of events', async () => {
    await fc.assert(
      fc.asyncProperty(
        // An event id always carries the same time (a re-delivery is the same CloudTrail event).
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 31, maxLength: 31 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 60 }),
        async (timeOf, order) => {
          const w = new MemoryWindowStore();
          const seen = new Map<number, number>();
          for (const id of order) {
            const t = timeOf[id]!;
            const got = await w.hit('k', String(id), t, 10);
            seen.set(id, t);
            const newest = Math.max(...seen.values());
            // Events far behind the newest may be forgotten; within the window the count is exact.
            const expected = [...seen.values()].filter((x) => x >= t - 10 && x <= t).length;
            if (t >= newest - 10) expect(got).toBe(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('MemoryWindowStore count', () => {
  it('reads the other events of the window and writes nothing', async () => {
    const w = new MemoryWindowStore();
    const min = 60_000;
    expect(await w.count('p', 'e1', 0, 10 * min)).toBe(0);
    expect(await w.hit('p', 'e1', 0, 10 * min)).toBe(1); // the count wrote nothing
    await w.hit('p', 'e2', 5 * min, 10 * min);
    expect(await w.count('p', 'e3', 5 * min, 10 * min)).toBe(2);
    expect(await w.count('p', 'e2', 5 * min, 10 * min)).toBe(1); // a re-delivery is not counted
    expect(await w.count('p', 'e4', 12 * min, 10 * min)).toBe(1); // e1 left the window
    expect(await w.count('q', 'e1', 0, 10 * min)).toBe(0);
  });

  it('count + 1 is what hit returns next, for any order of events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 31, maxLength: 31 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 60 }),
        async (timeOf, order) => {
          const w = new MemoryWindowStore();
          let newest = Number.NEGATIVE_INFINITY;
          for (const id of order) {
            const t = timeOf[id]!;
            newest = Math.max(newest, t);
            const before = await w.count('k', String(id), t, 10);
            const got = await w.hit('k', String(id), t, 10);
            // An event far behind the newest may be forgotten at once (hit's bound); within reach it is exact.
            if (t >= newest - 10) expect(got).toBe(before + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('MemorySessionStore', () => {
  it('forgets the least recently written session beyond its bound', async () => {
    const s = new MemorySessionStore(2);
    await s.put({ sessionId: 'a', startTime: 't1' });
    await s.put({ sessionId: 'b', startTime: 't2' });
    await s.markEnded('a', 't3'); // a is now the most recently written
    await s.put({ sessionId: 'c', startTime: 't4' });
    expect(await s.get('b')).toBeUndefined();
    expect(await s.get('a')).toEqual({ sessionId: 'a', startTime: 't1', endedAt: 't3' });
    expect(await s.get('c')).toMatchObject({ sessionId: 'c' });
  });
});
