import { type Category, type Finding, SEVERITIES, type Severity } from '#shared/model/finding';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Distinct hours kept; past it only days are (a long archive, or hostile times spread over years). */
const MAX_HOURS = 20_000;
/** Distinct days kept; findings on further days are counted as undated (hostile times). */
const MAX_DAYS = 50_000;

export type SeverityCounts = Record<Severity, number>;

/** Counts of one population (shown or suppressed) over every finding seen, not only the kept ones. */
export interface Counts {
  total: number;
  bySeverity: SeverityCounts;
  byCategory: Map<Category, number>;
}

/** Findings per time bucket (start ms) and severity. */
export type Buckets = Map<number, SeverityCounts>;

/** What the report needs from every finding: a few counters per finding, never the finding itself. */
export interface ReportCounts {
  shown: Counts;
  suppressed: Counts;
  /** Shown findings per hour (undefined once there were too many distinct hours). */
  hours: Buckets | undefined;
  /** Shown findings per day (UTC). */
  days: Buckets;
  /** Shown findings without a readable time, or on days past MAX_DAYS. */
  undated: number;
}

export function zeroSeverities(): SeverityCounts {
  return Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
}

function emptyCounts(): Counts {
  return { total: 0, bySeverity: zeroSeverities(), byCategory: new Map() };
}

/**
 * The streaming aggregate behind `replay --html`: replay hands it every finding it emits, so the
 * report's counts cover a whole archive while only a bounded list of findings is kept for rows.
 * Memory: a counter per category and per distinct hour/day (both capped).
 */
export class ReportAggregate {
  private readonly counts: ReportCounts = {
    shown: emptyCounts(),
    suppressed: emptyCounts(),
    hours: new Map(),
    days: new Map(),
    undated: 0,
  };

  add(f: Finding) {
    const c = f.suppressed ? this.counts.suppressed : this.counts.shown;
    c.total++;
    c.bySeverity[f.severity]++;
    c.byCategory.set(f.category, (c.byCategory.get(f.category) ?? 0) + 1);
    if (!f.suppressed) this.addTime(f);
  }

  private addTime(f: Finding) {
    const t = Date.parse(f.time);
    const { counts } = this;
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    if (!Number.isFinite(t) || (!counts.days.has(day) && counts.days.size >= MAX_DAYS)) {
      counts.undated++;
      return;
    }
    bump(counts.days, day, f.severity);
    if (!counts.hours) return;
    bump(counts.hours, Math.floor(t / HOUR_MS) * HOUR_MS, f.severity);
    if (counts.hours.size > MAX_HOURS) counts.hours = undefined;
  }

  result(): ReportCounts {
    return this.counts;
  }
}

function bump(buckets: Buckets, key: number, s: Severity) {
  let b = buckets.get(key);
  if (!b) {
    b = zeroSeverities();
    buckets.set(key, b);
  }
  b[s]++;
}

export { DAY_MS, HOUR_MS };
