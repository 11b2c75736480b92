import { expect } from 'vitest';
import { FINDING_EVENT, uniqueEvent } from './finding-events';
import type { Json } from './inputs';
import { type JsonPath, pathText, withAt } from './json-paths';
import { type Invoked, invoke, unsafeError } from './lambda';
import { LeakReport } from './leaks';
import { MODES, PLANTS, plantInto } from './plant';

/**
 * The loop every finding-consuming Lambda's plant test runs: for each string field of a finding event,
 * `perPath` plants (rotating kinds and modes) written into that field alone, one invocation each, and
 * the case's output channels checked for the planted value.
 */
export interface PlantEachField {
  report: LeakReport;
  paths: readonly JsonPath[];
  perPath: number;
  run: (event: unknown) => Promise<unknown>;
  /** Clears captured output and mock history before a case. */
  reset: () => void;
  /** The output channels of the case just run. */
  channels: (i: Invoked) => Promise<Record<string, string>> | Record<string, string>;
  /** Runs after each case (e.g. empties the table). */
  after?: () => Promise<void>;
  base?: Json;
}

/** Runs every case, then asserts: most cases had output, every error was safe, no strict leak. */
export async function expectNoPlantedValue(o: PlantEachField): Promise<void> {
  const problems: string[] = [];
  let n = 0;
  for (const path of o.paths) {
    for (let k = 0; k < o.perPath; k++, n++) {
      const plant = PLANTS[n % PLANTS.length]!;
      const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
      const base = uniqueEvent(n, o.base ?? FINDING_EVENT);
      const event = withAt(base, path, (old) => plantInto(String(old), plant.text, mode));
      o.reset();
      const i = await invoke(() => o.run(event));
      for (const p of unsafeError(i)) problems.push(`${pathText(path)} ${plant.kind}/${mode}: ${p}`);
      o.report.check('finding.json', pathText(path), plant, mode, await o.channels(i), JSON.stringify(base));
      await o.after?.();
    }
  }
  o.report.writeDebated();
  expect(
    o.report.outputShare,
    'share of cases with output (the verdict is about real output)',
  ).toBeGreaterThan(0.5);
  expect(problems).toEqual([]);
  expect(LeakReport.lines(o.report.strict)).toEqual([]);
}
