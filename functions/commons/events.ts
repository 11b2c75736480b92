import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import * as z from 'zod';
import { type IssueLike, zodMessage } from '#shared/errors';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import { type Finding, FindingSchema } from '#shared/model/finding';
import { rejectInput } from './report';

/**
 * A finding as the custom bus delivers it to a rule target. The envelope is written out here rather
 * than extending Powertools' EventBridgeSchema: that module imports zod's full build with every
 * locale into each bundle (`npm run bench` prints the sizes: handlers.*.bundleKB).
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

/**
 * The first problem only (the rest counted): the handler's report passes it through `redact` again,
 * as it does any text that reaches a log.
 */
const FIRST = { max: 1, root: '(event)' } as const;

/** One line for a failed Powertools parse: paths and messages of the issues, never the event's values. */
export function describeParseError(error: Error): string {
  const issues = Array.isArray(error.cause) ? (error.cause as IssueLike[]) : [];
  return zodMessage(issues, FIRST) || 'event does not match the schema';
}

/** One line naming what is wrong with an input (key paths and problems only, never values). */
export function describeIssues(error: z.ZodError): string {
  return zodMessage(error, FIRST) || 'invalid';
}

/**
 * The finding of a parsed bus event. A malformed event is reported (log + metric) and thrown, so the
 * platform's retries end in the dead-letter queue where it can be inspected; the log names the bad
 * field, never its value.
 */
export function findingOf(parsed: ParsedResult<unknown, FindingEvent>): Finding {
  return findingEventOf(parsed).detail;
}

/** The whole parsed bus event (envelope too), or the same reported, dead-lettered error. */
export function findingEventOf(parsed: ParsedResult<unknown, FindingEvent>): FindingEvent {
  if (parsed.success) return parsed.data;
  throw rejectInput('malformed finding event', describeParseError(parsed.error));
}
