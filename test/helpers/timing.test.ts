import { describe, expect, it } from 'vitest';
import { timeRatio } from './timing';

describe('timeRatio', () => {
  /** n² work on purpose: what a linearity test must catch. */
  const quadratic = (n: number) => () => {
    let x = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) x += i ^ j;
    if (x === -1) throw new Error('unreachable');
  };

  it('a quadratic pass exceeds the limit on 4x the input (the linearity tests can fail)', () => {
    expect(timeRatio(quadratic(400), quadratic(1600))).toBeGreaterThan(8);
  });
});
