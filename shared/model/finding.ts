import * as z from 'zod';

/** Same scale as AWS Security Hub. Order matters: index = rank. */
export const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

export const CATEGORIES = [
  'session-start',
  'port-forwarding',
  'ssh-tunnel',
  'access-denied',
  'privileged-principal',
  'production-target',
  'untrusted-network',
  'off-hours',
  'missing-reason',
  'session-resumed',
  'preferences-tampering',
  'monitor-tampering',
  'risky-command',
  'secret',
  'pii',
  'scan-error',
  'session-terminated',
  'run-command',
  'document-abuse',
  'lateral-movement',
  'first-seen',
  'missing-transcript',
] as const;
export const CategorySchema = z.enum(CATEGORIES);
export type Category = z.infer<typeof CategorySchema>;

export const SOURCES = ['cloudtrail', 'transcript', 'responder'] as const;
export type FindingSource = (typeof SOURCES)[number];

export const PrincipalSchema = z.object({
  arn: z.string(),
  type: z.string(),
  name: z.string().optional(),
});
export type Principal = z.infer<typeof PrincipalSchema>;

export const EvidenceSchema = z.object({
  /** Specific type: Comprehend entity type, secret kind or command kind. */
  kind: z.string(),
  /** Always masked: never the raw value. */
  excerpt: z.string(),
  count: z.number().int().positive().optional(),
  /** 1-based line numbers in the transcript where the item was seen (first few). */
  lines: z.array(z.number().int().nonnegative()).optional(),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

/**
 * A finding that matched a suppression: still on the bus, in the log and on the dashboard, never
 * alerted. `by`: a standing suppression from the configuration, or "Suppress similar" in Slack.
 */
export const SuppressedSchema = z.object({
  by: z.enum(['config', 'slack']),
  /** ISO time the suppression ends. */
  until: z.string(),
});
export type Suppressed = z.infer<typeof SuppressedSchema>;

/** The Finding every consumer shares: docs/CONTRACT.md describes each member (keep the two in step). */
export const FindingSchema = z.object({
  id: z.string(),
  ruleId: z.string(),
  category: CategorySchema,
  severity: SeveritySchema,
  title: z.string(),
  source: z.enum(SOURCES),
  time: z.string(),
  account: z.string().optional(),
  region: z.string().optional(),
  sessionId: z.string().optional(),
  target: z.string().optional(),
  principal: PrincipalSchema.optional(),
  sourceIp: z.string().optional(),
  documentName: z.string().optional(),
  sessionKind: z.string().optional(),
  eventId: z.string().optional(),
  reasons: z.array(z.string()).default([]),
  evidence: z.array(EvidenceSchema),
  count: z.number().int().positive().optional(),
  suppressed: SuppressedSchema.optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function atLeast(s: Severity, min: Severity): boolean {
  return severityRank(s) >= severityRank(min);
}

/** Raise (or lower, with negative steps) a severity, capped at both ends of the scale. */
export function shiftSeverity(s: Severity, steps: number): Severity {
  const i = Math.min(SEVERITIES.length - 1, Math.max(0, severityRank(s) + steps));
  return SEVERITIES[i]!;
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** Highest first, then by time, then id: a stable order for tables and tests. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    a.time.localeCompare(b.time) ||
    a.id.localeCompare(b.id)
  );
}
