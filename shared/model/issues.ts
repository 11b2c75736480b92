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

/** One line per issue: `<path>: <problem>`; an unknown key is named at its own path. */
export function issueLines(issues: readonly Issue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push(`${pathText([...issue.path, k])}: unknown key`);
    } else {
      out.push(`${pathText(issue.path)}: ${problemText(issue)}`);
    }
  }
  return out;
}
