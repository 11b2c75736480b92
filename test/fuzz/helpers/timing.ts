import { performance } from 'node:perf_hooks';

/**
 * How much longer an operation takes on input of size 2n than on size n, measured in ONE run: a warm-up,
 * then n and 2n interleaved, best of 3 each (the minimum is the least disturbed by other jobs sharing
 * the cores). A fast operation is repeated within each sample until the n sample takes ~40 ms, so timer
 * resolution and GC pauses do not decide the ratio. A super-linear operation is cut short: when one
 * sample of n already takes longer than `slowMs`, each size is timed once (the ratio is still the
 * verdict, and a quadratic scan does not stall the suite three times over).
 */
export interface Doubling {
  ratio: number;
  nMs: number;
  doubleMs: number;
  repeats: number;
}

export async function doublingRatio(
  run: (size: number) => Promise<unknown> | unknown,
  n: number,
  slowMs = 3_000,
): Promise<Doubling> {
  const time = async (size: number, repeats: number) => {
    const t = performance.now();
    for (let i = 0; i < repeats; i++) await run(size);
    return performance.now() - t;
  };
  // Warm-up (JIT, caches, lazily loaded modules) on the small size; it also calibrates the repeats.
  const warm = await time(n, 1);
  if (warm > slowMs) {
    const nMs = await time(n, 1);
    const doubleMs = await time(2 * n, 1);
    return { ratio: doubleMs / nMs, nMs, doubleMs, repeats: 1 };
  }
  const repeats = Math.min(50, Math.max(1, Math.ceil(40 / Math.max(warm, 0.5))));
  let nMs = Number.POSITIVE_INFINITY;
  let doubleMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    nMs = Math.min(nMs, await time(n, repeats));
    doubleMs = Math.min(doubleMs, await time(2 * n, repeats));
  }
  return { ratio: doubleMs / nMs, nMs, doubleMs, repeats };
}

/** The allowed ratio for doubling the input (linear = 2; generous for a shared, loaded machine). */
export const MAX_DOUBLING_RATIO = 2.5;

export function describeDoubling(what: string, n: number, d: Doubling): string {
  return `${what}: n=${n} ${d.nMs.toFixed(1)} ms, 2n ${d.doubleMs.toFixed(1)} ms (×${d.repeats}) → ratio ${d.ratio.toFixed(2)}`;
}
