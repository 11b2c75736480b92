import * as z from 'zod';
import { type Finding, SeveritySchema } from '../model/finding';

/**
 * What an alert's buttons carry back (Block Kit button `value`, at most 2000 characters): the facts
 * of the finding the alert showed, already masked, in a compact JSON. Slack returns the value as
 * posted; it is still validated as hostile input when it comes back.
 */
export const ACTION_IDS = {
  terminate: 'ssm-sentinel.terminate',
  acknowledge: 'ssm-sentinel.acknowledge',
  suppress: 'ssm-sentinel.suppress',
} as const;
export type ActionKind = keyof typeof ACTION_IDS;

/** Slack's limit on a button value. */
export const MAX_BUTTON_VALUE = 2000;

const id = (max: number) => z.string().min(1).max(max);

export const ButtonFactsSchema = z.strictObject({
  /** finding id, rule id, severity, session id */
  f: id(200),
  r: id(100),
  v: SeveritySchema,
  s: id(200),
  /** principal ARN, target, account, Region (when the finding had them) */
  p: id(512).optional(),
  t: id(300).optional(),
  a: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  g: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/)
    .optional(),
});
export type ButtonFacts = z.infer<typeof ButtonFactsSchema>;

/** The button value for a finding with a session; undefined without one or when it would not fit. */
export function buttonValue(finding: Finding): string | undefined {
  if (!finding.sessionId) return undefined;
  const required = { f: finding.id, r: finding.ruleId, v: finding.severity, s: finding.sessionId };
  if (!ButtonFactsSchema.pick({ f: true, r: true, v: true, s: true }).safeParse(required).success) {
    return undefined;
  }
  const facts: ButtonFacts = { ...required };
  const shape = ButtonFactsSchema.shape;
  // An optional fact that would be refused when it comes back is left off, not the buttons.
  if (shape.p.safeParse(finding.principal?.arn).success) facts.p = finding.principal?.arn;
  if (shape.t.safeParse(finding.target).success) facts.t = finding.target;
  if (shape.a.safeParse(finding.account).success) facts.a = finding.account;
  if (shape.g.safeParse(finding.region).success) facts.g = finding.region;
  const value = JSON.stringify(facts);
  return value.length <= MAX_BUTTON_VALUE ? value : undefined;
}
