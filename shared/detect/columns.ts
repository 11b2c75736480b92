import { findLastAtOrBefore } from '../pii/offsets';

/**
 * Table context for the value detectors: which columns of a CSV/TSV/table header name a kind of
 * value, and which field of a later row an offset falls in. Quote-aware, like a CSV reader.
 */

/** The columns of a header that name a kind of value (`indexes`), for rows of the same shape. */
export interface HeaderColumns {
  sep: string;
  /** Fields of the header: a row of another width is another table. */
  columns: number;
  indexes: number[];
}

const SEPARATORS = [',', '\t', ';', '|'] as const;
const HEADER_FIELD = /^[A-Za-z_][\w .#/-]{0,40}$/;

/**
 * A header line: two or more fields, each empty or name-like, split on the first separator that
 * gives one, where `named` accepts at least one field. A line holding an `@` is data, not a header.
 */
export function tableHeader(text: string, named: (field: string) => boolean): HeaderColumns | undefined {
  if (text.includes('@')) return undefined;
  for (const sep of SEPARATORS) {
    if (!text.includes(sep)) continue;
    const fields = text.split(sep).map((f) => f.trim().replace(/^["']|["']$/g, ''));
    if (fields.length < 2 || !fields.every((f) => f === '' || HEADER_FIELD.test(f))) continue;
    const indexes = fields.flatMap((f, i) => (named(f) ? [i] : []));
    if (indexes.length > 0) return { sep, columns: fields.length, indexes };
  }
  return undefined;
}

/**
 * Offsets of the unquoted separators of a line. Jumps between separators and quotes with indexOf
 * instead of testing every character.
 */
function separatorOffsets(text: string, sep: string): number[] {
  const out: number[] = [];
  // A separator from a stored memo may be anything; only a single non-quote character can match.
  if (sep.length !== 1 || sep === '"') return out;
  let quoted = false;
  let quote = text.indexOf('"');
  for (let i = text.indexOf(sep); i >= 0; i = text.indexOf(sep, i + 1)) {
    while (quote >= 0 && quote < i) {
      quoted = !quoted;
      quote = text.indexOf('"', quote + 1);
    }
    if (!quoted) out.push(i);
  }
  return out;
}

/**
 * Index of the field an offset falls in (−1 past the end), and the number of fields. Separators are
 * found once per line and separator (`cache`, one per line), not once per candidate.
 */
export function fieldAt(
  text: string,
  sep: string,
  offset: number,
  cache: Map<string, number[]>,
): { index: number; count: number } {
  let seps = cache.get(sep);
  if (!seps) {
    seps = separatorOffsets(text, sep);
    cache.set(sep, seps);
  }
  // Separators before the offset (binary search: a row with thousands of cells stays linear).
  const index = findLastAtOrBefore(seps, offset - 1) + 1;
  return { index: offset < text.length ? index : -1, count: seps.length + 1 };
}
