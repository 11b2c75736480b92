import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import * as z from 'zod';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE, Metric } from '../../shared/metrics';
import { type Finding, FindingSchema } from '../../shared/model/finding';
import { count } from './metrics';
import { logger } from './powertools';

/**
 * A finding as the custom bus delivers it to a rule target. The envelope is written out here rather
 * than extending Powertools' EventBridgeSchema: that module imports zod's full build with every
 * locale, +350 KB in each bundle (npm run bench: handlers.*.bundleKB).
 */
export const FindingEventSchema = z.object({
  version: z.string(),
  id: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  source: z.literal(FINDING_SOURCE),
  'detail-type': z.literal(FINDING_DETAIL_TYPE),
  detail: FindingSchema,
});
export type FindingEvent = z.infer<typeof FindingEventSchema>;

/** A Standard Schema issue, as Powertools' ParseError carries them in `cause`. */
interface SchemaIssue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
}

/** One line for a failed Powertools parse: paths and messages of the issues, never the event's values. */
export function describeParseError(error: Error): string {
  const issues = Array.isArray(error.cause) ? (error.cause as SchemaIssue[]) : [];
  const first = issues[0];
  if (!first) return error.name;
  const path =
    (first.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(event)';
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return `${path}: ${first.message}${more}`;
}

/** One line naming what is wrong with an input (paths and zod messages only, never values). */
export function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  const path = first?.path.map(String).join('.') || '(event)';
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `${path}: ${first?.message ?? 'invalid'}${more}`;
}

/**
 * The finding of a parsed bus event. A malformed event is reported (log + metric) and thrown, so the
 * platform's retries end in the dead-letter queue where it can be inspected; the log names the bad
 * field, never its value.
 */
export function findingOf(parsed: ParsedResult<unknown, FindingEvent>): Finding {
  if (parsed.success) return parsed.data.detail;
  const problem = describeParseError(parsed.error);
  logger.error('malformed finding event', { problem });
  count(Metric.Failed);
  throw new Error(`malformed finding event: ${problem}`);
}
