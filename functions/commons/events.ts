import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import * as z from 'zod';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import { type Finding, FindingSchema } from '#shared/model/finding';
import { rejectInput } from './report';

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

/** A path segment as the schema names it; a key taken from the input (record keys) shows as `?`. */
const PATH_KEY = /^[A-Za-z][\w-]{0,39}$/;

function pathOf(path: ReadonlyArray<PropertyKey | { key: PropertyKey }> | undefined): string {
  const keys = (path ?? []).slice(0, 8).map((p) => {
    const key = typeof p === 'object' && p !== null ? p.key : p;
    if (typeof key === 'number') return String(key);
    return typeof key === 'string' && PATH_KEY.test(key) ? key : '?';
  });
  return keys.join('.') || '(event)';
}

/**
 * One line naming what is wrong with an input: the path of the first issue (schema keys only) and its
 * message. The message is library text: the handler's report passes it through `redact` again.
 */
function describeFirst(issues: readonly SchemaIssue[]): string | undefined {
  const first = issues[0];
  if (!first) return undefined;
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  const message = typeof first.message === 'string' ? first.message : 'invalid';
  return `${pathOf(first.path)}: ${message}${more}`;
}

/** One line for a failed Powertools parse: paths and messages of the issues, never the event's values. */
export function describeParseError(error: Error): string {
  const issues = Array.isArray(error.cause) ? (error.cause as SchemaIssue[]) : [];
  return describeFirst(issues) ?? 'event does not match the schema';
}

/** One line naming what is wrong with an input (paths and zod messages only, never values). */
export function describeIssues(error: z.ZodError): string {
  return describeFirst(error.issues) ?? 'invalid';
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
