import { describe, expect, it } from 'vitest';
import { parseConfig } from '#shared/model/config';
import {
  cloudTrailRecord,
  envelope,
  type Json,
  RECORD_SHAPE_NAMES,
  RECORD_SHAPES,
  type RecordShape,
  ruleCases,
} from '../helpers/inputs';
import { type JsonPath, pathText, stringPaths, withAt } from '../helpers/json-paths';
import { LeakReport } from '../helpers/leaks';
import { crashTrace, ESCAPES, MODES, PLANTS, plantInto, unsafeCharAt } from '../helpers/plant';
import { runReplay, useScratch } from '../helpers/replay';
import { replayShownAsIs } from '../helpers/shown';

/**
 * No planted value through `replay` of CloudTrail input: a secret or piece of personal data written
 * into one string field of a real record at a time (replacing it or appended to it), in every file
 * shape replay reads, must not appear in stdout or stderr; nothing crashes; errors stay one safe line.
 *
 * Cases (printed in the test names): attacker record 10 plants × 2 modes × 34 string fields = 680; the
 * first eligible case of each of 18 rule fixture files × every string field × 3 plants rotating = 1728;
 * EventBridge envelope 10 plants × 7 fields = 70; escape sequences in each of 34 fields (table) = 34.
 * The file shape (bare, Records, array, JSON Lines, EventBridge, .gz) rotates from case to case.
 */

const scratch = useScratch('ct');
const shownAsIs = replayShownAsIs;

interface Problems {
  crashes: string[];
  unsafe: string[];
}

async function plantCase(
  report: LeakReport,
  problems: Problems,
  c: {
    shape: RecordShape;
    label?: string;
    records: Json[];
    /** The records before planting (needles they already hold are not looked for). */
    original: string;
    field: string;
    plant: (typeof PLANTS)[number];
    mode: string;
  },
  extra: Parameters<typeof runReplay>[1] = {},
) {
  const path = scratch.file(`input-${c.shape}.json`, RECORD_SHAPES[c.shape](c.records));
  const r = await runReplay([path], extra);
  const label = c.label ?? c.shape;
  const where = `${label} ${c.field} ${c.plant.kind}/${c.mode}`;
  if (r.threw) problems.crashes.push(`${where}: replay threw ${r.threw.split('\n')[0]}`);
  const trace = crashTrace(r.err);
  if (trace) problems.crashes.push(`${where}: stderr ${trace}`);
  const unsafe = unsafeCharAt(r.err);
  if (unsafe) problems.unsafe.push(`${where}: stderr ${unsafe}`);
  report.check(label, c.field, c.plant, c.mode, { stdout: r.out, stderr: r.err }, c.original);
}

function expectClean(report: LeakReport, problems: Problems) {
  report.writeDebated();
  expect(report.outputShare, 'share of cases with output (the verdict is about real output)').toBeGreaterThan(
    0.5,
  );
  expect(problems.crashes).toEqual([]);
  expect(problems.unsafe).toEqual([]);
  expect(LeakReport.lines(report.strict)).toEqual([]);
}

const attacker = cloudTrailRecord('attacker');
const attackerText = JSON.stringify(attacker);
const attackerPaths = stringPaths(attacker);
const cases = ruleCases();
// One case per rule fixture file: the records differ in the fields and rule paths they exercise.
const perRule = [...new Map(cases.map((c) => [c.name.split(':')[0], c])).values()];
const rulePathCount = perRule.reduce((n, c) => n + stringPaths(c.record).length, 0);
/** Plants per field of each rule fixture record (rotating through all plants and both modes). */
const PER_PATH = 3;
const ENVELOPE_FIELDS: JsonPath[] = [
  ['version'],
  ['id'],
  ['detail-type'],
  ['source'],
  ['account'],
  ['time'],
  ['region'],
];

describe('replay: no planted value from a CloudTrail field', () => {
  it(`attacker StartSession: ${PLANTS.length} plants × 2 modes × ${attackerPaths.length} string fields (${2 * PLANTS.length * attackerPaths.length} cases)`, async () => {
    const report = new LeakReport('cli-cloudtrail-attacker', shownAsIs, 'stdout');
    const problems: Problems = { crashes: [], unsafe: [] };
    let n = 0;
    for (const path of attackerPaths) {
      for (const plant of PLANTS) {
        for (const mode of MODES) {
          const shape = RECORD_SHAPE_NAMES[n++ % RECORD_SHAPE_NAMES.length]!;
          const record = withAt(attacker, path, (old) => plantInto(String(old), plant.text, mode));
          await plantCase(report, problems, {
            shape,
            records: [record],
            original: attackerText,
            field: pathText(path),
            plant,
            mode,
          });
        }
      }
    }
    expect(report.cases).toBe(2 * PLANTS.length * attackerPaths.length);
    expectClean(report, problems);
  }, 60_000);

  it(`rule fixtures: ${perRule.length} records × every string field × ${PER_PATH} plants rotating (${PER_PATH * rulePathCount} cases)`, async () => {
    const report = new LeakReport('cli-cloudtrail-rules', shownAsIs, 'stdout');
    const problems: Problems = { crashes: [], unsafe: [] };
    let n = 0;
    for (const c of perRule) {
      const config = parseConfig(c.config ?? {});
      for (const path of stringPaths(c.record)) {
        for (let k = 0; k < PER_PATH; k++) {
          const plant = PLANTS[n % PLANTS.length]!;
          const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
          const shape = RECORD_SHAPE_NAMES[n % RECORD_SHAPE_NAMES.length]!;
          n++;
          const record = withAt(c.record, path, (old) => plantInto(String(old), plant.text, mode));
          await plantCase(
            report,
            problems,
            {
              shape,
              label: `${shape} ${c.name}`,
              records: [record],
              original: JSON.stringify(c.record),
              field: pathText(path),
              plant,
              mode,
            },
            { config, targetTags: c.tags ?? {} },
          );
        }
      }
    }
    expect(report.cases).toBe(PER_PATH * rulePathCount);
    expectClean(report, problems);
  }, 60_000);

  it(`EventBridge envelope: ${PLANTS.length} plants × ${ENVELOPE_FIELDS.length} fields (${PLANTS.length * ENVELOPE_FIELDS.length} cases)`, async () => {
    const report = new LeakReport('cli-eventbridge-envelope', shownAsIs, 'stdout');
    const problems: Problems = { crashes: [], unsafe: [] };
    let n = 0;
    for (const path of ENVELOPE_FIELDS) {
      for (const plant of PLANTS) {
        const mode = MODES[n++ % 2]!;
        const event = withAt(envelope(attacker), path, (old) => plantInto(String(old), plant.text, mode));
        const file = scratch.file('event.json', JSON.stringify(event));
        const r = await runReplay([file]);
        if (r.threw) problems.crashes.push(`${pathText(path)}: replay threw ${r.threw.split('\n')[0]}`);
        const trace = crashTrace(r.err);
        if (trace) problems.crashes.push(`${pathText(path)}: stderr ${trace}`);
        report.check(
          'eventbridge',
          pathText(path),
          plant,
          mode,
          { stdout: r.out, stderr: r.err },
          attackerText,
        );
      }
    }
    expectClean(report, problems);
  });

  it(`escape sequences in each of ${attackerPaths.length} fields never reach the table or stderr (${attackerPaths.length} cases)`, async () => {
    const unsafe: string[] = [];
    for (const path of attackerPaths) {
      const record = withAt(attacker, path, (old) => `${String(old)}${ESCAPES}`);
      const file = scratch.file('record.json', JSON.stringify(record));
      const r = await runReplay([file], { json: false });
      const where = pathText(path);
      const inOut = unsafeCharAt(r.out);
      const inErr = unsafeCharAt(r.err);
      if (inOut) unsafe.push(`${where}: table ${inOut}`);
      if (inErr) unsafe.push(`${where}: stderr ${inErr}`);
      if (r.threw) unsafe.push(`${where}: replay threw ${r.threw.split('\n')[0]}`);
    }
    expect(unsafe).toEqual([]);
  });
});
