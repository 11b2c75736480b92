/**
 * A generic walker over real records: every leaf (or every string leaf) of a JSON value as a path,
 * and a copy of the value with one leaf changed. The properties plant one field at a time, so a leak
 * names the field it came from.
 */

export type JsonPath = ReadonlyArray<string | number>;

/** `userIdentity.sessionContext.sessionIssuer.arn`, `resources[0].ARN`. */
export function pathText(path: JsonPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

/** Paths of every leaf for which `keep(leaf)` holds, depth-first in key order. */
export function leafPaths(value: unknown, keep: (leaf: unknown) => boolean = () => true): JsonPath[] {
  const out: JsonPath[] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    if (Array.isArray(v)) {
      if (v.length === 0 && keep(v)) out.push([...path]);
      for (let i = 0; i < v.length; i++) walk(v[i], [...path, i]);
    } else if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      if (entries.length === 0 && keep(v)) out.push([...path]);
      for (const [k, x] of entries) walk(x, [...path, k]);
    } else if (keep(v)) {
      out.push([...path]);
    }
  };
  walk(value, []);
  return out;
}

export function stringPaths(value: unknown): JsonPath[] {
  return leafPaths(value, (v) => typeof v === 'string');
}

export function getAt(value: unknown, path: JsonPath): unknown {
  let v = value;
  for (const p of path) v = (v as Record<string | number, unknown>)[p];
  return v;
}

/** A deep copy of `value` whose leaf at `path` is `change(old)`. */
export function withAt<T>(value: T, path: JsonPath, change: (old: unknown) => unknown): T {
  const copy = structuredClone(value);
  if (path.length === 0) return change(copy) as T;
  let parent = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  parent[last] = change(parent[last]);
  return copy;
}
