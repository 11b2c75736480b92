import { createHash } from 'node:crypto';

/**
 * Deterministic finding id: the same inputs always give the same id, so re-delivery and replay
 * never duplicate. Parts are joined with a separator that cannot appear in them unescaped.
 */
export function stableId(...parts: ReadonlyArray<string | number | undefined>): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p === undefined ? '\u0000' : String(p));
    h.update('\u0001');
  }
  return h.digest('hex').slice(0, 32);
}
