import { performance } from 'node:perf_hooks';

/** Fastest of `runs` timings in ms: the least disturbed run on a shared machine. */
export async function best(runs: number, fn: () => unknown): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

export function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
