import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leakedChannels, type Plant } from './plant';

/** One planted value found in an output channel. */
export interface Leak {
  shape: string;
  field: string;
  plant: string;
  mode: string;
  channel: string;
  /** A little of the output around the value, to see where it was printed. */
  context: string;
}

/**
 * Whether a value planted in `field` may legitimately reach `channel` as is: identifiers a finding
 * carries by contract (principal ARN, session id, target…) are shown to the analyst. Such leaks are
 * reported separately ("debated") instead of failing.
 */
export type ShownAsIs = (field: string, channel: string, plant: string) => boolean;

/**
 * Collects leaks over many cases so one run lists every field that leaks (a property that stopped
 * at the first counterexample would hide the others). `strict` leaks fail the test.
 */
export class LeakReport {
  readonly strict: Leak[] = [];
  readonly debated: Leak[] = [];
  cases = 0;
  /** Cases whose `main` channel had content: a no-leak verdict over silent runs would prove nothing. */
  withOutput = 0;

  constructor(
    private readonly entry: string,
    private readonly shownAsIs: ShownAsIs = () => false,
    private readonly main?: string,
  ) {}

  /**
   * `original` is the input before planting: a needle it already holds (the fixtures carry test card
   * numbers and the well-known 078-05-1120) cannot be told apart from the planted one, so it is not
   * looked for in that case.
   */
  check(
    shape: string,
    field: string,
    plant: Plant,
    mode: string,
    channels: Record<string, string>,
    original = '',
  ): void {
    this.cases++;
    const out = this.main ? channels[this.main] : undefined;
    if (out && out !== '[]' && out !== '{}') this.withOutput++;
    const needles = plant.needles.filter((n) => !original.includes(n));
    const own = { ...plant, needles };
    for (const channel of leakedChannels(own, channels)) {
      const text = channels[channel]!;
      const needle = needles.find((n) => text.includes(n))!;
      const at = text.indexOf(needle);
      const context = text.slice(Math.max(0, at - 70), at + needle.length + 30);
      const leak = { shape, field, plant: plant.kind, mode, channel, context };
      (this.shownAsIs(field, channel, plant.kind) ? this.debated : this.strict).push(leak);
    }
  }

  /**
   * One line per field and channel: the planted kinds and modes that leaked, the input shapes it
   * leaked from, and the output around the first one (a minimal reproduction).
   */
  static lines(leaks: readonly Leak[]): string[] {
    const groups = new Map<
      string,
      { plants: Set<string>; modes: Set<string>; shapes: Set<string>; first: Leak }
    >();
    for (const l of leaks) {
      const key = `${l.field} → ${l.channel}`;
      const g = groups.get(key) ?? { plants: new Set(), modes: new Set(), shapes: new Set(), first: l };
      g.plants.add(l.plant);
      g.modes.add(l.mode);
      g.shapes.add(l.shape);
      groups.set(key, g);
    }
    return [...groups].map(([key, g]) => {
      const shapes = [...g.shapes];
      const more = shapes.length > 3 ? ` +${shapes.length - 3}` : '';
      return (
        `${key} [${[...g.plants].join(',')}] (${[...g.modes].join('/')}) in ${shapes.slice(0, 3).join('; ')}${more}` +
        ` — e.g. ${g.first.plant}/${g.first.mode} in ${g.first.shape}: …${JSON.stringify(g.first.context)}…`
      );
    });
  }

  /** The share of cases whose main channel had content (0 when no main channel was named). */
  get outputShare(): number {
    return this.cases ? this.withOutput / this.cases : 0;
  }

  /** Writes the debated leaks where the report can be read after the run; returns the file. */
  writeDebated(): string {
    const dir = join(tmpdir(), 'ssm-sentinel-fuzz');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${this.entry}-debated.txt`);
    writeFileSync(file, `${LeakReport.lines(this.debated).join('\n')}\n`);
    return file;
  }
}

/** Field paths as `pathText` prints them, matched by any of these patterns, are shown as is. */
export function fieldMatcher(patterns: readonly RegExp[]): (field: string) => boolean {
  return (field) => patterns.some((p) => p.test(field));
}
