/** Timing for linearity tests: ratios of CPU time within one run, never absolute times. */

/**
 * Cost of `large` over cost of `small`, in CPU time (a job preempted by other jobs on the same cores
 * is not charged for their time): each is the best of 5 samples taken in turn, after a warm-up; a
 * sample loops ≥ 20 ms so sub-millisecond calls are measured. Up to 3 such comparisons, the lowest
 * kept, stopping at the first below `limit` (every caller compares 4x the input against 8x): a
 * collection or a busy neighbour can spoil one comparison, a super-linear pass fails all three.
 */
export function timeRatio(small: () => void, large: () => void, limit = 8): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3 && lowest >= limit; attempt++) {
    lowest = Math.min(lowest, compare(small, large));
  }
  return lowest;
}

function compare(small: () => void, large: () => void): number {
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const sample = (fn: () => void) => {
    let calls = 0;
    const t0 = cpuMs();
    let t = t0;
    do {
      fn();
      calls++;
      t = cpuMs();
    } while (t - t0 < 20);
    return (t - t0) / calls;
  };
  small();
  large();
  let bestSmall = Number.POSITIVE_INFINITY;
  let bestLarge = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 5; r++) {
    bestSmall = Math.min(bestSmall, sample(small));
    bestLarge = Math.min(bestLarge, sample(large));
  }
  return bestLarge / Math.max(bestSmall, 0.001);
}

/**
 * Milliseconds of CPU time this process has used: what linearity tests compare instead of wall time,
 * so time the scheduler gives other jobs on the same cores is not charged to the code under test.
 */
export function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
