import * as z from 'zod';
import { CategorySchema, PrincipalSchema, SeveritySchema } from './finding';

/**
 * The digest of one incident window (docs/CONTRACT.md "SNS alert message"): what an incident's
 * findings were, by rule, once its window closed. Built by the digest sweep (shared/alerts/digest.ts)
 * from the state table, published on the alerts topic like a finding, rendered for e-mail and Slack.
 * Every string in it comes from already-masked findings; excerpts are masked evidence only.
 */

/** `session`: one SSM session. `principal`: findings without a session, by principal and category. */
export const IncidentScopeSchema = z.enum(['session', 'principal']);
export type IncidentScope = z.infer<typeof IncidentScopeSchema>;

/** What the incident is about: the first alerted finding's who and where (masked). */
export const IncidentSubjectSchema = z.object({
  scope: IncidentScopeSchema,
  sessionId: z.string().optional(),
  principal: PrincipalSchema.optional(),
  target: z.string().optional(),
  account: z.string().optional(),
  region: z.string().optional(),
  sessionKind: z.string().optional(),
  sourceIp: z.string().optional(),
  /** Principal incidents: their one category. Session incidents: the first alerted finding's. */
  category: CategorySchema,
});
export type IncidentSubject = z.infer<typeof IncidentSubjectSchema>;

export const DigestRuleSchema = z.object({
  ruleId: z.string(),
  title: z.string(),
  /** The highest severity among the rule's findings in the window. */
  severity: SeveritySchema,
  count: z.number().int().positive(),
  /** One masked evidence excerpt (or reason) of the rule's first finding in the window. */
  excerpt: z.string().optional(),
});
export type DigestRule = z.infer<typeof DigestRuleSchema>;

export const DigestSchema = z.object({
  kind: z.literal('digest'),
  /** Stable per incident window: a re-sent digest has the same id. */
  id: z.string(),
  incident: IncidentSubjectSchema,
  window: z.object({
    /** 1 for the incident's first window. */
    number: z.number().int().positive(),
    start: z.string(),
    end: z.string(),
  }),
  /** Highest severity in the window. */
  severity: SeveritySchema,
  /** Findings counted in the window (at or above alerts.minSeverity). */
  total: z.number().int().nonnegative(),
  /** Of those, sent at once as the incident's opening or escalation alert. */
  alerted: z.number().int().nonnegative(),
  /** Highest severity first, then most frequent; at most DIGEST_MAX_RULES. */
  rules: z.array(DigestRuleSchema),
  /** Rules left out of `rules` (their findings are still in `total`). */
  omittedRules: z.number().int().nonnegative(),
});
export type Digest = z.infer<typeof DigestSchema>;

/** Rules listed in one digest; the rest are counted in `omittedRules`. */
export const DIGEST_MAX_RULES = 20;
/** Characters kept of one digest excerpt. */
export const DIGEST_EXCERPT_MAX = 200;

/**
 * Why a finding's alert goes out at once: `opened` — its incident's first alert; `escalated` — the
 * incident's move to CRITICAL; `single` — a finding with nothing to group on (no session, no
 * principal: the test alert). `digestAt` is when the window's digest is due (ISO time), if any.
 */
export const ImmediateKindSchema = z.enum(['opened', 'escalated', 'single']);
export type ImmediateKind = z.infer<typeof ImmediateKindSchema>;
export interface IncidentNote {
  kind: ImmediateKind;
  digestAt?: string;
}
