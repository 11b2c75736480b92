import type * as z from 'zod';
import { field } from '../format/sanitize';
import { looksSensitive } from '../format/shape';

/**
 * Validation problems as text that names the member and the problem, never the value. zod 4's own
 * messages carry no input value (`Invalid input: expected string, received number`), except
 * `unrecognized_keys`, which quotes the keys; paths can hold keys chosen by the input too (records,
 * loose objects). So paths and keys are shown only when they look like a member name, and every
 * message passes the one sanitiser.
 */

type Issue = z.core.$ZodIssue;

/** A key as written when it looks like a member name, else a placeholder. */
export function keyName(key: PropertyKey): string {
  if (typeof key === 'number') return String(key);
  if (typeof key === 'symbol') return '<key>';
  return /^[A-Za-z0-9_$][A-Za-z0-9_$.:/-]{0,79}$/.test(key) && !looksSensitive(key) ? key : '<key>';
}

/** `a.b.2.c` (array indexes as numbers), with {@link keyName} for every part; `(root)` for the value itself. */
export function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(keyName).join('.');
}

/** The problem of one issue, without the value. */
export function problemText(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values
        .slice(0, 12)
        .map((v) => field(String(v), 40))
        .join(', ')}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_union':
      return 'matches none of the accepted forms';
    default:
      return field(issue.message, 160);
  }
}

/** A zod issue, or a Standard Schema issue (Powertools' ParseError carries those in `cause`). */
export interface IssueLike {
  readonly code?: string;
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
  readonly keys?: readonly string[];
}

export interface ZodMessageOptions {
  /** Problems named in full; the rest are counted (`(+2 more)`). Default: all. */
  max?: number;
  /** How one problem's location is written, given its key path (`alerts.minSeverity`). */
  at?: (path: string) => string;
  /** The key path of the value itself (an issue with an empty path). Default `(root)`. */
  root?: string;
}

/** Codes whose zod wording ("Invalid input: expected string, received number") has a shorter form. */
const REWORDED = new Set(['invalid_type', 'invalid_value', 'invalid_union']);
const PATH_DEPTH = 16;

/**
 * The one way a validation error becomes text: `<key path>: <problem>` per problem, `; `-joined,
 * never a value. Key paths come from zod's issue paths, with any key that does not look like a
 * member name (record keys are the input's) shown as `<key>`; an unknown key is named at its own
 * path. A message the schema wrote itself (`must be set`) is kept; zod's generic wording is shortened.
 */
export function zodMessage(
  error: { readonly issues: readonly IssueLike[] } | readonly IssueLike[],
  options: ZodMessageOptions = {},
): string {
  const { max = Number.POSITIVE_INFINITY, at = (path: string) => path, root = '(root)' } = options;
  const issues: readonly IssueLike[] = Array.isArray(error)
    ? error
    : (error as { issues: IssueLike[] }).issues;
  const where = (path: readonly PropertyKey[]) => at(path.length === 0 ? root : pathText(path));
  const lines: string[] = [];
  for (const issue of issues) {
    const path = keysOf(issue.path);
    if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys)) {
      for (const key of issue.keys) lines.push(`${where([...path, key])}: unknown key`);
    } else {
      lines.push(`${where(path)}: ${problemOf(issue)}`);
    }
  }
  const more = lines.length > max ? ` (+${lines.length - max} more)` : '';
  return `${lines.slice(0, max).join('; ')}${more}`;
}

function keysOf(path: IssueLike['path']): PropertyKey[] {
  if (!Array.isArray(path)) return [];
  return path
    .slice(0, PATH_DEPTH)
    .map((p: PropertyKey | { key: PropertyKey }) => (typeof p === 'object' && p !== null ? p.key : p));
}

function problemOf(issue: IssueLike): string {
  const message = typeof issue.message === 'string' ? issue.message : 'invalid';
  if (issue.code && REWORDED.has(issue.code) && message.startsWith('Invalid'))
    return problemText(issue as Issue);
  return field(message, 160);
}
