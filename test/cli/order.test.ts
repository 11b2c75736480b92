import { describe, expect, it } from 'vitest';
import { TimeOrder } from '#cli/order';

const MIN = 60_000;

describe('TimeOrder', () => {
  it('releases records in event-time order once the newest is past the hold', () => {
    const order = new TimeOrder<string>(15 * MIN);
    const out: string[] = [];
    out.push(...order.push('c', 3 * MIN));
    out.push(...order.push('a', 1 * MIN));
    out.push(...order.push('b', 2 * MIN));
    expect(out).toEqual([]);
    out.push(...order.push('late', 17 * MIN));
    expect(out).toEqual(['a', 'b']);
    out.push(...order.drain());
    expect(out).toEqual(['a', 'b', 'c', 'late']);
  });

  it('keeps input order among equal times and passes records without a time at once', () => {
    const order = new TimeOrder<string>(MIN);
    expect(order.push('x', undefined)).toEqual(['x']);
    order.push('1', 5);
    order.push('2', 5);
    order.push('3', 5);
    expect(order.drain()).toEqual(['1', '2', '3']);
  });

  it('holds at most maxHeld records, oldest out first', () => {
    const order = new TimeOrder<number>(Number.POSITIVE_INFINITY, 3);
    const out: number[] = [];
    for (const t of [9, 4, 7, 1, 8]) out.push(...order.push(t, t));
    expect(order.size).toBe(3);
    expect(out).toEqual([1, 4]);
    expect(order.drain()).toEqual([7, 8, 9]);
  });

  it('sorts a shuffled archive completely when the hold covers it', () => {
    const times = Array.from({ length: 2000 }, (_, i) => (i * 7919) % 2000);
    const order = new TimeOrder<number>(Number.POSITIVE_INFINITY);
    for (const t of times) order.push(t, t);
    const sorted = order.drain();
    expect(sorted).toEqual([...times].sort((a, b) => a - b));
  });

  it('starts afresh after a drain: an older file is ordered, not passed through', () => {
    const order = new TimeOrder<string>(15 * MIN);
    order.push('newer file', 1_000 * MIN);
    expect(order.drain()).toEqual(['newer file']);
    const out = [...order.push('b', 2 * MIN), ...order.push('a', 1 * MIN)];
    expect(out).toEqual([]);
    expect(order.drain()).toEqual(['a', 'b']);
  });
});
