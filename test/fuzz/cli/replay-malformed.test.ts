import { gzipSync } from 'node:zlib';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cloudTrailRecord,
  deliveries,
  envelope,
  type Json,
  rawLog,
  ruleCases,
  streamingEvents,
  subscriptionOf,
} from '../helpers/inputs';
import { leafPaths, pathText, withAt } from '../helpers/json-paths';
import {
  BAD_LINES,
  brokenLine,
  damage,
  jsonLine,
  nested,
  randomDeliveryMessage,
  WRONG_VALUES,
} from '../helpers/malformed';
import { crashTrace, unsafeCharAt } from '../helpers/plant';
import { type ReplayRun, runReplay, useScratch } from '../helpers/replay';

/**
 * Malformed, huge and hostile input through `replay`: nothing crashes or prints a stack trace, every
 * error is one safe line, broken input is reported (exit 2, never a silent "No findings."), and the
 * good records next to a bad one are still processed (their findings appear).
 *
 * Cases (printed in the test names): 21 bad lines × 3 containers; wrong values in every field of a
 * real record (9 values × 47 leaves = 423); 21 bad files next to a good one; fast-check: 60 random
 * JSON lines, 60 broken lines, 80 damaged files, 40 bad streaming lines, 30 bad deliveries.
 */

const scratch = useScratch('bad');

const attacker = cloudTrailRecord('attacker');
const forward = ruleCases().find((c) => c.name.startsWith('session-port-forward-remote-host'))!.record;
const attackerEvents = streamingEvents('attacker');
const shadowEvent = attackerEvents.find((e) => JSON.stringify(e.sessionData).includes('/etc/shadow'))!;
const lastEvent = attackerEvents[attackerEvents.length - 1]!;

/** Finding ids of the good records, each replayed alone: they must appear next to any bad one. */
let goodIds: { attacker: string[]; forward: string[] };
/** Rules the two good streaming events trigger, each replayed alone. */
let goodTranscriptRules: string[];
let goodDeliveryRules: string[];

const ids = (r: ReplayRun) => r.findings.map((f) => f.id);
const rules = (r: ReplayRun) => [...new Set(r.findings.map((f) => f.ruleId))].sort();
const jsonl = (...lines: (Buffer | string)[]) =>
  Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from('\n')]));

beforeAll(async () => {
  const one = async (record: Json) =>
    ids(await runReplay([scratch.file('good.json', JSON.stringify(record))]));
  goodIds = { attacker: await one(attacker), forward: await one(forward) };
  const events = await runReplay([
    scratch.file('good.jsonl', jsonl(JSON.stringify(shadowEvent), JSON.stringify(lastEvent))),
  ]);
  goodTranscriptRules = rules(events);
  const delivery = await runReplay([
    scratch.file('delivery.json', JSON.stringify(subscriptionOf(goodDelivery()))),
  ]);
  goodDeliveryRules = rules(delivery);
  // The properties below are only meaningful if the good inputs give findings on their own.
  expect(goodIds.attacker.length).toBeGreaterThan(0);
  expect(goodIds.forward.length).toBeGreaterThan(0);
  expect(goodTranscriptRules.length).toBeGreaterThan(0);
  expect(goodDeliveryRules.length).toBeGreaterThan(0);
});

/** The attacker delivery with the shadow read (a CRITICAL/HIGH finding by itself). */
function goodDelivery(): Json {
  return deliveries('attacker').find((d) => JSON.stringify(d).includes('shadow'))!;
}

/** What every run must satisfy, whatever the input: a list of violations (empty = fine). */
function safeRun(r: ReplayRun): string[] {
  const bad: string[] = [];
  if (r.threw) bad.push(`replay threw: ${r.threw.split('\n')[0]}`);
  const trace = crashTrace(r.err);
  if (trace) bad.push(`stack trace or internal error on stderr: ${trace}`);
  const unsafe = unsafeCharAt(r.err);
  if (unsafe) bad.push(`control character on stderr: ${unsafe}`);
  for (const line of r.err.split('\n')) {
    if (line.length > 2000) bad.push(`stderr line of ${line.length} characters`);
  }
  return bad;
}

function missing(r: ReplayRun, expected: string[]): string[] {
  const got = new Set(ids(r));
  return expected.filter((id) => !got.has(id));
}

/** Good-next-to-bad verdict: violations, plus the good findings that did not appear. */
function goodKept(r: ReplayRun, broken: boolean): string[] {
  const out = safeRun(r);
  const lost = [...missing(r, goodIds.attacker), ...missing(r, goodIds.forward)];
  if (lost.length) out.push(`${lost.length} finding(s) of the good records lost`);
  if (broken && (r.exitCode !== 2 || !r.err.includes('error:')))
    out.push(`broken input not reported (exit ${r.exitCode})`);
  return out;
}

describe('replay: a bad record next to good ones', () => {
  const containers = {
    'JSON Lines': (bad: Buffer) => jsonl(JSON.stringify(attacker), bad, JSON.stringify(forward)),
    'array element': (bad: Buffer) =>
      Buffer.concat([
        Buffer.from(`[${JSON.stringify(attacker)},`),
        bad,
        Buffer.from(`,${JSON.stringify(forward)}]`),
      ]),
    'Records element': (bad: Buffer) =>
      Buffer.concat([
        Buffer.from(`{"Records":[${JSON.stringify(attacker)},`),
        bad,
        Buffer.from(`,${JSON.stringify(forward)}]}`),
      ]),
  };
  const cases = Object.entries(containers).flatMap(([container, wrap]) =>
    // A value cut short inside an array swallows what follows it: only JSON Lines can recover there.
    BAD_LINES.filter((b) => container === 'JSON Lines' || !b.broken).map((b) => ({ container, wrap, ...b })),
  );

  it(`${cases.length} cases: bad lines of every kind in JSON Lines, arrays and Records`, async () => {
    const problems: string[] = [];
    for (const c of cases) {
      const r = await runReplay([scratch.file('mixed.json', c.wrap(c.bytes))]);
      for (const p of goodKept(r, c.broken)) problems.push(`${c.container} / ${c.name}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60_000);

  const leaves = leafPaths(attacker).concat(leafPaths(attacker, (v) => typeof v === 'object' && v !== null));
  const objectPaths = [
    ['userIdentity'],
    ['userIdentity', 'sessionContext'],
    ['requestParameters'],
    ['responseElements'],
    ['resources'],
    ['tlsDetails'],
  ];
  const allPaths = [...leaves, ...objectPaths];

  it(`wrong values in every field: ${WRONG_VALUES.length} values × ${allPaths.length} fields (${WRONG_VALUES.length * allPaths.length} cases)`, async () => {
    const problems: string[] = [];
    for (const path of allPaths) {
      for (const wrong of WRONG_VALUES) {
        const mutated = withAt(attacker, path, () => wrong.value);
        // The mutated record between two good ones, the first of them the same record intact.
        const file = scratch.file(
          'wrong.jsonl',
          jsonl(JSON.stringify(attacker), JSON.stringify(mutated), JSON.stringify(forward)),
        );
        const r = await runReplay([file]);
        for (const p of goodKept(r, false)) problems.push(`${pathText(path)} = ${wrong.name}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('60 random JSON values between good records (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(jsonLine, async (line) => {
        const r = await runReplay([
          scratch.file('random.jsonl', jsonl(JSON.stringify(attacker), line, JSON.stringify(forward))),
        ]);
        expect(goodKept(r, false)).toEqual([]);
      }),
      { numRuns: 60, seed: 8_001 },
    );
  }, 60_000);

  it('60 random broken lines between good records are reported at their line (fast-check)', async () => {
    const notJson = brokenLine.filter((b) => {
      const s = b.toString('utf8');
      if (!s.trim()) return false;
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(notJson, async (line) => {
        const r = await runReplay([
          scratch.file('broken.jsonl', jsonl(JSON.stringify(attacker), line, JSON.stringify(forward))),
        ]);
        expect(goodKept(r, true)).toEqual([]);
        const errors = r.err.split('\n').filter((l) => l.startsWith('error:'));
        // The bad line is the second record of the file, whatever the reader calls it.
        expect(errors.some((l) => /\b(record|line) 2\b/.test(l))).toBe(true);
        expect(errors.filter((l) => /\b(record|line) [13]\b/.test(l))).toEqual([]);
      }),
      { numRuns: 60, seed: 8_002 },
    );
  }, 60_000);
});

describe('replay: a bad file next to good ones', () => {
  const good = JSON.stringify({ Records: [attacker, forward] });
  const badFiles = [
    ...BAD_LINES.map((b) => ({ name: b.name, bytes: b.bytes, broken: b.broken })),
    { name: 'empty file', bytes: Buffer.alloc(0), broken: true },
    { name: 'whitespace only', bytes: Buffer.from(' \n\t\r\n'), broken: true },
    {
      name: 'gzip magic then garbage',
      bytes: Buffer.from([0x1f, 0x8b, 0x08, 0, 1, 2, 3, 4, 5]),
      broken: true,
    },
    { name: 'truncated gzip', bytes: gzipSync(good).subarray(0, 40), broken: true },
    { name: 'gzip of 5000 brackets', bytes: gzipSync('['.repeat(5000)), broken: true },
    {
      name: 'deep nesting inside Records',
      bytes: Buffer.from(`{"Records":[${nested(5000)}]}`),
      broken: false,
    },
  ];

  it(`${badFiles.length} cases: each bad file kind in a folder with a good file`, async () => {
    const problems: string[] = [];
    for (const b of badFiles) {
      const dir = scratch.dir({ 'a-bad.json': b.bytes, 'b-good.json': good });
      const r = await runReplay([dir]);
      for (const p of goodKept(r, b.broken)) problems.push(`${b.name}: ${p}`);
      if (b.broken && !r.err.split('\n').some((l) => l.startsWith('error:') && l.includes('a-bad.json'))) {
        problems.push(`${b.name}: no error line naming the file`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  const shapes: Record<string, () => Buffer> = {
    'CloudTrail log file': () => Buffer.from(good),
    'EventBridge JSON Lines': () =>
      jsonl(JSON.stringify(envelope(attacker)), JSON.stringify(envelope(forward))),
    'streaming session log': () => jsonl(...attackerEvents.slice(0, 6).map((e) => JSON.stringify(e))),
    'subscription delivery': () => Buffer.from(JSON.stringify(subscriptionOf(goodDelivery()))),
    'raw session log': () => Buffer.from(rawLog('attacker').text.slice(0, 3000)),
    'gzipped CloudTrail': () => gzipSync(good),
  };

  it('80 damaged files of every shape next to an intact one (fast-check)', async () => {
    const intact = JSON.stringify({ Records: [attacker, forward] });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(shapes)), damage, async (shape, hurt) => {
        const dir = scratch.dir({ 'a-damaged.log': hurt(shapes[shape]!()), 'b-intact.json': intact });
        const r = await runReplay([dir]);
        expect(goodKept(r, false)).toEqual([]);
      }),
      { numRuns: 80, seed: 8_003 },
    );
  }, 60_000);
});

describe('replay: bad session-log events next to good ones', () => {
  const badEvents: Array<{ name: string; line: string }> = [
    ...BAD_LINES.map((b) => ({ name: b.name, line: b.bytes.toString('latin1') })),
    { name: 'sessionData a number', line: JSON.stringify({ ...shadowEvent, sessionData: 42 }) },
    {
      name: 'sessionData of objects',
      line: JSON.stringify({ ...shadowEvent, sessionData: [{ a: 1 }, null] }),
    },
    {
      name: 'sessionData deep',
      line: JSON.stringify({ ...shadowEvent, sessionData: JSON.parse(nested(3000)) }),
    },
    { name: 'sessionId an object', line: JSON.stringify({ ...shadowEvent, sessionId: { id: 'x' } }) },
    { name: 'no sessionId', line: JSON.stringify({ ...shadowEvent, sessionId: undefined }) },
    { name: 'eventTime a number', line: JSON.stringify({ ...shadowEvent, eventTime: 1.5e300 }) },
    {
      name: 'a 64 KB session line (1 MiB in the spawned run)',
      line: JSON.stringify({ ...shadowEvent, sessionData: ['x'.repeat(64 * 1024)] }),
    },
  ];

  it(`${badEvents.length} cases: a bad line between two good events of a streaming log`, async () => {
    const problems: string[] = [];
    for (const b of badEvents) {
      const file = scratch.file(
        'session.jsonl',
        jsonl(JSON.stringify(shadowEvent), b.line, JSON.stringify(lastEvent)),
      );
      const r = await runReplay([file]);
      const got = new Set(rules(r));
      const lost = goodTranscriptRules.filter((id) => !got.has(id));
      for (const p of safeRun(r)) problems.push(`${b.name}: ${p}`);
      if (lost.length) problems.push(`${b.name}: lost ${lost.join(', ')}`);
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('40 random bad lines between two good events (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(brokenLine, jsonLine), async (line) => {
        const file = scratch.file(
          'session.jsonl',
          jsonl(JSON.stringify(shadowEvent), line, JSON.stringify(lastEvent)),
        );
        const r = await runReplay([file]);
        expect(safeRun(r)).toEqual([]);
        expect(goodTranscriptRules.filter((id) => !rules(r).includes(id))).toEqual([]);
      }),
      { numRuns: 40, seed: 8_004 },
    );
  }, 60_000);

  const message = goodDelivery();
  const badDeliveries: Record<string, unknown> = {
    'data not base64': { awslogs: { data: '%%%not-base64%%%' } },
    'base64 of plain text': { awslogs: { data: Buffer.from('hello').toString('base64') } },
    'gzip of non-JSON': { awslogs: { data: gzipSync('not json {').toString('base64') } },
    'gzip of deep nesting': { awslogs: { data: gzipSync(nested(5000)).toString('base64') } },
    'data a number': { awslogs: { data: 42 } },
    'awslogs null': { awslogs: null },
    'messageType a number': subscriptionOf({ ...message, messageType: 7 }),
    'logEvents null': subscriptionOf({ ...message, logEvents: null }),
    'logEvents of junk': subscriptionOf({ ...message, logEvents: [1, null, 'x', [], { message: 5 }] }),
    'logStream an object': subscriptionOf({ ...message, logStream: { a: 1 } }),
    'control message': subscriptionOf({ ...message, messageType: 'CONTROL_MESSAGE' }),
  };

  it(`${Object.keys(badDeliveries).length} bad deliveries in a folder with a good one, and junk log events inside a good delivery`, async () => {
    const problems: string[] = [];
    for (const [name, payload] of Object.entries(badDeliveries)) {
      const dir = scratch.dir({
        'a-bad.json': JSON.stringify(payload),
        'b-good.json': JSON.stringify(subscriptionOf(message)),
      });
      const r = await runReplay([dir]);
      for (const p of safeRun(r)) problems.push(`${name}: ${p}`);
      const lost = goodDeliveryRules.filter((id) => !rules(r).includes(id));
      if (lost.length) problems.push(`${name}: lost ${lost.join(', ')}`);
    }
    const events = message.logEvents as Json[];
    const mixed = {
      ...message,
      logEvents: [{ id: '1', timestamp: 1, message: nested(5000) }, 7, ...events, { id: '2', message: null }],
    };
    const r = await runReplay([scratch.file('mixed.json', JSON.stringify(subscriptionOf(mixed)))]);
    for (const p of safeRun(r)) problems.push(`junk events: ${p}`);
    const lost = goodDeliveryRules.filter((id) => !rules(r).includes(id));
    if (lost.length) problems.push(`junk events: lost ${lost.join(', ')}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it('30 random delivery messages (fast-check): no crash, no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(randomDeliveryMessage, async (m) => {
        const r = await runReplay([scratch.file('random.json', JSON.stringify(subscriptionOf(m)))]);
        expect(safeRun(r)).toEqual([]);
      }),
      { numRuns: 30, seed: 8_005 },
    );
  }, 60_000);
});
