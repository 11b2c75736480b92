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
  // CPU time of this process, not wall time: time the scheduler gives to other jobs on the same
  // cores is not charged to the operation (the suite must stay green on a loaded machine).
  const cpuMs = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const time = async (size: number, repeats: number) => {
    const t = cpuMs();
    for (let i = 0; i < repeats; i++) await run(size);
    return cpuMs() - t;
  };
  // Warm-up (JIT, caches, lazily loaded modules) on the small size; it also calibrates the repeats.
  const warm = await time(n, 1);
  if (warm > slowMs) {
    const nMs = await time(n, 1);
    const doubleMs = await time(2 * n, 1);
    return { ratio: doubleMs / nMs, nMs, doubleMs, repeats: 1 };
  }
  await time(2 * n, 1);
  const repeats = Math.min(100, Math.max(1, Math.ceil(100 / Math.max(warm, 0.5))));
  const measure = async (): Promise<Doubling> => {
    let nMs = Number.POSITIVE_INFINITY;
    let doubleMs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      nMs = Math.min(nMs, await time(n, repeats));
      doubleMs = Math.min(doubleMs, await time(2 * n, repeats));
    }
    return { ratio: doubleMs / nMs, nMs, doubleMs, repeats };
  };
  // A linear operation passes at least one of three measurements; a super-linear one fails them all.
  let best = await measure();
  for (let attempt = 1; attempt < 3 && best.ratio > MAX_DOUBLING_RATIO; attempt++) {
    const again = await measure();
    if (again.ratio < best.ratio) best = again;
  }
  return best;
}

/** The allowed ratio for doubling the input (linear = 2; generous for a shared, loaded machine). */
export const MAX_DOUBLING_RATIO = 2.5;

export function describeDoubling(what: string, n: number, d: Doubling): string {
  return `${what}: n=${n} ${d.nMs.toFixed(1)} ms, 2n ${d.doubleMs.toFixed(1)} ms (×${d.repeats}) → ratio ${d.ratio.toFixed(2)}`;
}
