import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deliveries, deliveryTargets, rawLog, streamingEvents, subscriptionOf } from '../helpers/inputs';
import { type JsonPath, pathText, stringPaths, withAt } from '../helpers/json-paths';
import { LeakReport } from '../helpers/leaks';
import { crashTrace, ESCAPES, MODES, PLANTS, type Plant, plantInto, unsafeCharAt } from '../helpers/plant';
import { runReplay, useScratch } from '../helpers/replay';
import { replayShownAsIs } from '../helpers/shown';

/**
 * No planted value through `replay` of session logs: the value written into one field of a real
 * streaming session-log event (its session text included, where the detectors must find and mask
 * it), of a subscription delivery (outer fields and the events inside), or into one line of a raw
 * S3 log, must not appear in stdout or stderr; nothing crashes; the table and stderr stay free of
 * terminal control characters.
 *
 * Cases (printed in the test names): every string field of every event of 3 streaming logs × 2 plants
 * rotating ≈ 770; every field of 7 subscription deliveries (outer, log events, events inside) × 2 ≈
 * 400, plus 20 corrupted `awslogs.data`; every line of 2 raw logs, 1 plant rotating ≈ 200; file names
 * 9; escape sequences ≈ 25.
 */

const scratch = useScratch('tx');
const shownAsIs = replayShownAsIs;
const PER_PATH = 2;

interface Problems {
  crashes: string[];
  unsafe: string[];
}

function newRun(entry: string) {
  const report = new LeakReport(entry, shownAsIs, 'stdout');
  const problems: Problems = { crashes: [], unsafe: [] };
  let n = 0;
  return {
    report,
    problems,
    /** The next plant and mode of the rotation. */
    next(): { plant: Plant; mode: (typeof MODES)[number]; n: number } {
      const i = n++;
      return { plant: PLANTS[i % PLANTS.length]!, mode: MODES[Math.floor(i / PLANTS.length) % 2]!, n: i };
    },
    async run(shape: string, field: string, plant: Plant, mode: string, path: string, original: string) {
      const r = await runReplay([path]);
      const where = `${shape} ${field} ${plant.kind}/${mode}`;
      if (r.threw) problems.crashes.push(`${where}: replay threw ${r.threw.split('\n')[0]}`);
      const trace = crashTrace(r.err);
      if (trace) problems.crashes.push(`${where}: stderr ${trace}`);
      const unsafe = unsafeCharAt(r.err);
      if (unsafe) problems.unsafe.push(`${where}: stderr ${unsafe}`);
      report.check(shape, field, plant, mode, { stdout: r.out, stderr: r.err }, original);
    },
    expectClean() {
      report.writeDebated();
      expect(
        report.outputShare,
        'share of cases with output (the verdict is about real output)',
      ).toBeGreaterThan(0.5);
      expect(problems.crashes).toEqual([]);
      expect(problems.unsafe).toEqual([]);
      expect(LeakReport.lines(report.strict)).toEqual([]);
    },
  };
}

const STREAMING = ['attacker', 'secrets', 'windows-like'] as const;
const streams = STREAMING.map((s) => ({ scenario: s, events: streamingEvents(s) }));
const streamingPathCount = streams.reduce(
  (n, s) => n + s.events.reduce((m, e) => m + stringPaths(e).length, 0),
  0,
);

// A spread of deliveries (commands, secrets, the first and last of a session), not all 28.
const DELIVERIES = [
  ...deliveries('attacker').filter((_, i) => i % 5 === 0),
  ...deliveries('secrets').filter((_, i) => i % 4 === 1),
];
const deliveryCount = DELIVERIES.reduce((n, d) => n + deliveryTargets(d).length, 0);

const RAW = (['attacker', 'secrets'] as const).map((s) => ({ scenario: s, ...rawLog(s) }));
const rawLineCount = RAW.reduce((n, r) => n + r.text.split('\n').length, 0);

describe('replay: no planted value from a session log', () => {
  it(`streaming session-log events: every string field × ${PER_PATH} plants (${PER_PATH * streamingPathCount} cases)`, async () => {
    const t = newRun('cli-streaming');
    for (const { scenario, events } of streams) {
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        for (const path of stringPaths(event)) {
          for (let k = 0; k < PER_PATH; k++) {
            const { plant, mode, n } = t.next();
            const line = `${JSON.stringify(withAt(event, path, (old) => plantInto(String(old), plant.text, mode)))}\n`;
            // Every fifth file gzipped: replay reads .gz transcripts by their magic bytes.
            const file =
              n % 5 === 0
                ? scratch.file('session.jsonl.gz', gzipSync(line))
                : scratch.file('session.jsonl', line);
            await t.run(
              `${scenario} streaming.jsonl line ${i + 1}`,
              pathText(path),
              plant,
              mode,
              file,
              JSON.stringify(event),
            );
          }
        }
      }
    }
    expect(t.report.cases).toBe(PER_PATH * streamingPathCount);
    t.expectClean();
  }, 60_000);

  it(`subscription deliveries: every field × ${PER_PATH} plants (${PER_PATH * deliveryCount} cases) and a corrupted awslogs.data (${2 * PLANTS.length})`, async () => {
    const t = newRun('cli-subscription');
    for (const [d, message] of DELIVERIES.entries()) {
      for (const target of deliveryTargets(message)) {
        for (let k = 0; k < PER_PATH; k++) {
          const { plant, mode } = t.next();
          const file = scratch.file(
            'delivery.json',
            JSON.stringify(subscriptionOf(target.plant(plant.text, mode))),
          );
          await t.run(
            `delivery ${d + 1} (${message.logStream})`,
            target.field,
            plant,
            mode,
            file,
            JSON.stringify(message),
          );
        }
      }
    }
    const good = subscriptionOf(DELIVERIES[0]);
    for (const plant of PLANTS) {
      for (const mode of MODES) {
        const file = scratch.file(
          'delivery.json',
          JSON.stringify(
            withAt(good, ['awslogs', 'data'], (old) => plantInto(String(old), plant.text, mode)),
          ),
        );
        await t.run('delivery 1', 'awslogs.data', plant, mode, file, JSON.stringify(DELIVERIES[0]));
      }
    }
    t.expectClean();
  }, 60_000);

  it(`raw S3 session logs: every line, one plant rotating (${rawLineCount} cases), and the file name (${PLANTS.length})`, async () => {
    const t = newRun('cli-raw-log');
    for (const { scenario, name, text } of RAW) {
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const { plant, mode } = t.next();
        const planted = lines.map((l, j) =>
          j === i ? plantInto(l.replace(/\r$/, ''), plant.text, mode) + (l.endsWith('\r') ? '\r' : '') : l,
        );
        const file = scratch.file(name, planted.join('\n'));
        await t.run(`${scenario} raw log`, `line ${i + 1}`, plant, mode, file, text);
      }
    }
    // The session id of a raw log comes from its file name, shown as is (a debated case).
    const { text } = RAW[0]!;
    for (const plant of PLANTS) {
      const file = scratch.file(`${plant.text.replace(/\//g, '_')}.log`, text);
      await t.run('attacker raw log', 'file name', plant, 'replace', file, text);
    }
    t.expectClean();
  }, 60_000);

  it('escape sequences in streaming fields, delivery fields and file names never reach the table or stderr', async () => {
    const unsafe: string[] = [];
    const check = async (where: string, file: string) => {
      const r = await runReplay([file], { json: false });
      const inOut = unsafeCharAt(r.out);
      const inErr = unsafeCharAt(r.err);
      if (inOut) unsafe.push(`${where}: table ${inOut}`);
      if (inErr) unsafe.push(`${where}: stderr ${inErr}`);
      if (r.threw) unsafe.push(`${where}: replay threw ${r.threw.split('\n')[0]}`);
    };
    // The shadow read of the attacker session: a finding whose fields all come from this event.
    const event = streams[0]!.events.find((e) => JSON.stringify(e).includes('/etc/shadow'))!;
    const paths: JsonPath[] = stringPaths(event);
    for (const path of paths) {
      const line = JSON.stringify(withAt(event, path, (old) => `${String(old)}${ESCAPES}`));
      await check(`streaming ${pathText(path)}`, scratch.file('session.jsonl', `${line}\n`));
    }
    for (const field of ['logStream', 'logGroup', 'owner'] as const) {
      const message = { ...DELIVERIES[0]!, [field]: `${String(DELIVERIES[0]![field])}${ESCAPES}` };
      await check(
        `delivery ${field}`,
        scratch.file('delivery.json', JSON.stringify(subscriptionOf(message))),
      );
    }
    const { text } = RAW[0]!;
    await check('raw log file name', scratch.file('\u001b[2J\u001b]0;x\u0007mallory-evil.log', text));
    await check(
      'raw log with escapes in a command',
      scratch.file('mallory-esc.log', text.replace('sudo', `sudo${ESCAPES}`)),
    );
    expect(unsafe).toEqual([]);
  });
});
