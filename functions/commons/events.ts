import * as z from 'zod';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '../../shared/metrics';
import { FindingSchema } from '../../shared/model/finding';

/** A finding as the custom bus delivers it to a rule target. */
export const FindingEventSchema = z.object({
  source: z.literal(FINDING_SOURCE),
  'detail-type': z.literal(FINDING_DETAIL_TYPE),
  detail: FindingSchema,
});

/** One line naming what is wrong with an input (paths and zod messages only, never values). */
export function describeIssues(error: z.ZodError): string {
  const first = error.issues[0];
  const path = first?.path.map(String).join('.') || '(event)';
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `${path}: ${first?.message ?? 'invalid'}${more}`;
}
