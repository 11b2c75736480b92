import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudTrailRecord, SESSIONS } from '../helpers/inputs';
import { nested } from '../helpers/malformed';
import { type ReplayRun, runReplay, useScratch } from '../helpers/replay';
import { describeDoubling, doublingRatio, MAX_DOUBLING_RATIO } from '../helpers/timing';

/**
 * Time linear in the input through `replay`: doubling the input at most ~2.5× the time (n and 2n in one
 * run, best of 3 after a warm-up; see helpers/timing). Inputs: one long transcript line (bare `$ `
 * prompt + word characters, and `curl ` repeated), many records, deep-ish nesting, a big transcript,
 * and a record bomb (`[{},{},…]`). The files are written once per size, outside the timed part.
 */

const scratch = useScratch('lin');

/** A file per size, written once; the timed part is the replay alone. */
function sized(name: string, make: (size: number) => string | Buffer) {
  const files = new Map<number, string>();
  return (size: number) => {
    let file = files.get(size);
    if (!file) {
      file = scratch.file(name, make(size));
      files.set(size, file);
    }
    return file;
  };
}

async function expectLinear(
  what: string,
  n: number,
  file: (size: number) => string,
  check?: (r: ReplayRun) => void,
) {
  let last: ReplayRun | undefined;
  const d = await doublingRatio(
    async (size) => {
      last = await runReplay([file(size)]);
    },
    n,
    1_000,
  );
  expect(last?.threw).toBeUndefined();
  if (check && last) check(last);
  expect(d.ratio, describeDoubling(what, n, d)).toBeLessThanOrEqual(MAX_DOUBLING_RATIO);
}

const attacker = cloudTrailRecord('attacker');
const piiLeak = readFileSync(join(SESSIONS, 'pii-leak', 'streaming.jsonl'), 'utf8').trimEnd();

describe('replay: time linear in the input (2n ≤ 2.5 × n)', () => {
  it('one long raw-log line after a bare prompt (16 KiB vs 32 KiB of word characters)', async () => {
    // The shadow read after the long line must still be found (the long line must not stall the rest).
    const file = sized('mallory-long.log', (size) => `$ ${'a'.repeat(size)}\nsh-5.2$ cat /etc/shadow\n`);
    await expectLinear('long raw line', 16 * 1024, file, (r) => {
      expect(r.findings.some((f) => f.evidence.some((e) => e.kind === 'SHADOW_READ'))).toBe(true);
    });
  }, 60_000);

  it('one long streaming line of `curl ` repeated (32 KiB vs 64 KiB)', async () => {
    const file = sized(
      'session.jsonl',
      (size) =>
        `${JSON.stringify({ sessionId: 'mallory-0a1b2c3d4e5f60718', eventTime: '2026-11-22T02:03:40Z', sessionData: [`sh-5.2$ ${'curl '.repeat(size / 5)}`] })}\n`,
    );
    await expectLinear('long streaming line', 32 * 1024, file);
  }, 60_000);

  it('many CloudTrail records (2000 vs 4000 StartSession in JSON Lines)', async () => {
    const file = sized('many.jsonl', (size) => {
      const lines: string[] = [];
      for (let i = 0; i < size; i++) {
        const id = `mallory-${i.toString(36).padStart(17, '0')}`;
        lines.push(
          JSON.stringify({
            ...attacker,
            eventID: `e-${i}`,
            responseElements: { ...(attacker.responseElements as object), sessionId: id },
          }),
        );
      }
      return `${lines.join('\n')}\n`;
    });
    await expectLinear('many records', 2000, file, (r) =>
      expect(r.findings.length).toBeGreaterThanOrEqual(4000),
    );
  }, 60_000);

  it('deep-ish nesting (100 records each holding arrays nested 1000 vs 2000 deep)', async () => {
    const file = sized('nested.json', (depth) => {
      const deep = nested(depth, '[', ']', '"x"');
      const records = Array.from({ length: 100 }, (_, i) =>
        JSON.stringify({ ...attacker, eventID: `n-${i}`, additionalEventData: '@' }).replace('"@"', deep),
      );
      return `{"Records":[${records.join(',')}]}`;
    });
    await expectLinear('nesting depth', 1000, file);
  }, 60_000);

  it('a big transcript (8 vs 16 copies of the pii-leak session, ~300 KB vs ~600 KB)', async () => {
    const file = sized('pii.jsonl', (copies) => `${Array(copies).fill(piiLeak).join('\n')}\n`);
    await expectLinear('big transcript', 8, file, (r) =>
      expect(r.findings.some((f) => f.category === 'pii')).toBe(true),
    );
  }, 60_000);

  it('a record bomb (20 000 vs 40 000 empty objects in one array)', async () => {
    const file = sized('bomb.json', (size) => `[${Array(size).fill('{}').join(',')}]`);
    await expectLinear('record bomb', 20_000, file);
  }, 60_000);
});
