import { expect } from 'vitest';

/**
 * Hostile and malformed inputs for the handler tests, and the checks that go with them: planted
 * secrets and personal data (all fake) that must never appear in a log line, a thrown error, a metric
 * or anything a handler sends on, the shapes of events that are not what a handler expects, and
 * helpers to plant a value in every string field of a good event.
 * The values are those the hardening issue (#8) reported as leaking, plus a checksum-valid GitHub
 * token and an HS256 JWT (as in test/detect), so the detectors recognise every one of them.
 */

const JWT_PAYLOAD = 'eyJzdWIiOiJmdXp6LXN1aXRlIiwibmFtZSI6IkphbmUgRG9lIiwiaWF0IjoxNzY0NDAwMDAwfQ';
const JWT_SIGNATURE = 'q3T9xWv0Yk2Lr8Zp5Nf1Hc7Bd4Gs6Ja0Um2Ve9Ko3Ii';

export const PLANTED = {
  awsKey: 'AKIAQ2WX7RZLM3KD5TPV',
  card: '4111 1111 1111 1111',
  ssn: '078-05-1120',
  email: 'jane.doe@example.org',
  github: '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',
  jwt: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${JWT_PAYLOAD}.${JWT_SIGNATURE}`,
} as const;

/** Every planted value in one string (what "a secret in every field" writes). */
export const ALL_PLANTED = Object.values(PLANTED).join(' ');

/** What must never appear: each raw value, in the forms a renderer could print it. */
const NEEDLES = [
  PLANTED.awsKey,
  PLANTED.card,
  PLANTED.card.replace(/ /g, ''),
  PLANTED.ssn,
  PLANTED.email,
  PLANTED.github,
  PLANTED.github.slice(4),
  JWT_PAYLOAD,
  JWT_SIGNATURE,
];

/** The needles found in `text` (empty when nothing leaked). */
export function leaks(text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n));
}

/** A Node stack frame, a V8 dump or a raw internal error class in `text`, or undefined. */
export function crashTrace(text: string): string | undefined {
  const m =
    /^\s+at .+:\d+:\d+\)?$|FATAL ERROR|heap out of memory|node:internal|\b(?:TypeError|RangeError|ReferenceError)\b|Maximum call stack/m.exec(
      text,
    );
  return m ? text.slice(Math.max(0, m.index - 80), m.index + 120) : undefined;
}

function nested(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

/**
 * Events that are not what any handler expects: nothing, the wrong type, empty, deeply nested, huge,
 * and the planted values where an object belongs.
 */
export function malformedShapes(): Array<[string, unknown]> {
  const huge = `${'x'.repeat(1 << 20)} ${ALL_PLANTED}`;
  return [
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['an empty array', []],
    ['a string', `hello ${ALL_PLANTED}`],
    ['a number', 42],
    ['a boolean', true],
    ['an array of planted strings', [ALL_PLANTED, PLANTED.awsKey]],
    ['5000 nested arrays', nested(5000, [], (v) => [v])],
    ['5000 nested objects', nested(5000, {}, (v) => ({ detail: v, Records: v, awslogs: v }))],
    ['a 1 MiB string', huge],
    ['Records: null', { Records: null }],
    ['Records: a string', { Records: ALL_PLANTED }],
    [
      'Records of junk',
      { Records: [null, 5, ALL_PLANTED, { Sns: null }, { Sns: { Message: ALL_PLANTED } }] },
    ],
    ['detail: null', { source: 'ssm-sentinel', 'detail-type': 'SSM Sentinel Finding', detail: null }],
    ['detail: planted text', { detail: ALL_PLANTED, awslogs: { data: ALL_PLANTED } }],
    ['planted keys', { [PLANTED.awsKey]: PLANTED.email, detail: { [PLANTED.ssn]: PLANTED.card } }],
  ];
}

type Path = ReadonlyArray<string | number>;

/** The path of every string leaf of a JSON value. */
export function stringPaths(value: unknown, path: Path = []): Path[] {
  if (typeof value === 'string') return [path];
  if (typeof value !== 'object' || value === null) return [];
  const out: Path[] = [];
  for (const [k, v] of Object.entries(value)) {
    for (const p of stringPaths(v, [...path, Array.isArray(value) ? Number(k) : k])) out.push(p);
  }
  return out;
}

/** A deep copy of `value` with the string at `path` replaced by `f(old)`. */
export function withStringAt<T>(value: T, path: Path, f: (old: string) => string): T {
  const copy = structuredClone(value) as unknown as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  at[last] = f(at[last] as string);
  return copy as unknown as T;
}

/** A deep copy of `value` with every string replaced by `f(old)`. */
export function withAllStrings<T>(value: T, f: (old: string) => string): T {
  let out = value;
  for (const path of stringPaths(value)) out = withStringAt(out, path, f);
  return out;
}

/** Runs `run` and returns what it threw (undefined when it resolved); never throws itself. */
export async function thrownBy(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return undefined;
  } catch (e) {
    return e;
  }
}

/**
 * A thrown error as the platform would record it in the dead-letter queue and CloudWatch: an Error
 * whose name and one-line message carry no planted value.
 */
export function expectSafeError(error: unknown): void {
  expect(error).toBeInstanceOf(Error);
  const e = error as Error;
  expect(e.message).not.toContain('\n');
  expect(e.message.length).toBeLessThanOrEqual(300);
  expect(leaks(`${e.name}: ${e.message}`)).toEqual([]);
}

/** The sum of one metric over the EMF lines in `text` (Powertools Metrics output). */
export function metricSum(text: string, metric: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    const value = (JSON.parse(line) as Record<string, unknown>)[metric];
    if (typeof value === 'number') sum += value;
    else if (Array.isArray(value)) for (const v of value) sum += Number(v);
  }
  return sum;
}
