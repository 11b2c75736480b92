import { describe, expect, it } from 'vitest';
import { HintScan } from '#shared/detect/hints';
import { findLocalPii } from '#shared/detect/pii-local';
import { findSecrets } from '#shared/detect/secrets';
import { maskCommand } from '#shared/mask';
import { SECRET_RULES } from '#shared/rules/secret-rules';
import { cpuNow } from '../helpers/timing';

/** Every hint of the secret rules' prefilter. */
const SECRET_HINTS = new HintScan(SECRET_RULES.flatMap((r) => r.patterns.map((p) => p.hint))).hints;

const repeat = (unit: string, length: number) =>
  unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
function numbered(make: (i: number) => string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += make(i);
  return out.slice(0, length);
}

/**
 * Lines that were quadratic or worse in a detector (issue 8), and every secret hint repeated alone
 * and as a word: each text pass must stay linear below the window size too (16 → 64 KiB, one window).
 */
const SHAPES: Array<(n: number) => string> = [
  ...[
    'curl ',
    'mysql ',
    'sshpass ',
    'ldapsearch ',
    'ldap',
    'mongo ',
    'smbclient ',
    'net user ',
    'net user "',
  ].map((u) => (n: number) => repeat(u, n)),
  (n) => `htpasswd -${repeat('b', n)}`,
  (n) => `session_token${repeat(' ', n)}x`,
  (n) => `${repeat(' ', n)}-${repeat(' ', n)}x`,
  (n) => repeat('+21111111111111111111111111111a ', n),
  (n) => repeat('+21111111111111111111111111111111111111111 ', n),
  (n) => numbered((i) => `u${i}@example.org `, n),
  (n) => numbered((i) => `${100 + (i % 800)}-${10 + (i % 89)}-${1000 + (i % 9000)} `, n),
  (n) => repeat('4111111111111111 ', n),
  (n) => repeat('(212) 555-0179 ', n),
  (n) => repeat('AKIAIOSFODNN7EXAMPLE ', n),
  (n) => numbered((i) => `password=pw${i}x `, n),
  (n) => repeat('"password":', n),
  (n) => numbered((i) => `https://u:pw${i}@h/ `, n),
  ...SECRET_HINTS.flatMap((h) => [(n: number) => repeat(h, n), (n: number) => repeat(`${h} `, n)]),
];

/** Milliseconds for `fn` over every shape at `length`, each the fastest of 3 runs. */
function total(fn: (text: string) => unknown, length: number): number {
  let sum = 0;
  for (const shape of SHAPES) {
    const text = shape(length);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const start = cpuNow();
      fn(text);
      best = Math.min(best, cpuNow() - start);
    }
    sum += best;
  }
  return sum;
}

describe('detectors stay linear on hostile lines', () => {
  it.each([
    ['findSecrets', findSecrets],
    ['findLocalPii', (t: string) => findLocalPii(t)],
    ['maskCommand', maskCommand],
  ] as const)('%s: 4x the line costs at most 8x the time', (_name, fn) => {
    total(fn, 4096);
    const short = total(fn, 16 * 1024);
    const long = total(fn, 64 * 1024);
    expect(long / short).toBeLessThanOrEqual(8);
  });
});
