import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { maskCommand } from '#shared/mask';
import { Dimension, Metric } from '#shared/metrics';
import type { Finding } from '#shared/model/finding';
import { metrics } from './powertools';

/** Name this function in every metric it emits (the dashboard splits Processed/Failed by it). */
export function useFunctionDimension(name: string): void {
  metrics.setDefaultDimensions({ [Dimension.Function]: name });
}

export function count(metric: string, value = 1): void {
  metrics.addMetric(metric, MetricUnit.Count, value);
}

/** Enumeration-shaped: `HIGH`, `port-forward-remote`, `CREDIT_DEBIT_NUMBER`; at most two digits. */
const ENUM_VALUE = /^[A-Za-z][A-Za-z_-]*(?:\d[A-Za-z_-]*){0,2}$/;
const MAX_ENUM = 48;

/**
 * A dimension value as emitted: enumeration values pass, anything else (a value that reached a kind
 * field, a key that looks like a word) becomes `other`, so no input text ever becomes a dimension and
 * the set of values (each a CloudWatch metric of its own) stays small.
 */
export function dimensionValue(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_ENUM || !ENUM_VALUE.test(value)) return 'other';
  return maskCommand(value) === value ? value : 'other';
}

/**
 * One metric per distinct value of a dimension (EMF gives a metric one dimension set per line, so
 * each value is its own single-metric line). Values are enumerations, never personal data.
 */
export function countBy(metric: string, dimension: string, values: Iterable<string>): void {
  countWeighted(
    metric,
    dimension,
    (function* () {
      for (const v of values) yield [v, 1] as const;
    })(),
  );
}

/** Like {@link countBy}, for values that come with a count (`[kind, n]`): no array of n copies. */
export function countWeighted(
  metric: string,
  dimension: string,
  entries: Iterable<readonly [string, number]>,
): void {
  const counts = new Map<string, number>();
  for (const [raw, n] of entries) {
    const v = dimensionValue(raw);
    counts.set(v, (counts.get(v) ?? 0) + n);
  }
  for (const [value, n] of counts) {
    metrics.singleMetric().addDimension(dimension, value).addMetric(metric, MetricUnit.Count, n);
  }
}

/** Findings emitted: total, by severity and by category. */
export function countFindings(findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  count(Metric.Findings, findings.length);
  countBy(
    Metric.Findings,
    Dimension.Severity,
    findings.map((f) => f.severity),
  );
  countBy(
    Metric.Findings,
    Dimension.Category,
    findings.map((f) => f.category),
  );
}
