import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { Dimension, Metric } from '../../shared/metrics';
import type { Finding } from '../../shared/model/finding';
import { metrics } from './powertools';

/** Name this function in every metric it emits (the dashboard splits Processed/Failed by it). */
export function useFunctionDimension(name: string): void {
  metrics.setDefaultDimensions({ [Dimension.Function]: name });
}

export function count(metric: string, value = 1): void {
  metrics.addMetric(metric, MetricUnit.Count, value);
}

/**
 * One metric per distinct value of a dimension (EMF gives a metric one dimension set per line, so
 * each value is its own single-metric line). Values are enumerations, never personal data.
 */
export function countBy(metric: string, dimension: string, values: Iterable<string>): void {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
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
