import * as z from 'zod';
import { SeveritySchema } from './finding';
import { InputError } from './input-error';
import { zodMessage } from './issues';
import { DEFAULT_PII_SEVERITY, DEFAULT_PII_TYPE_SEVERITY } from './pii-severity';
import { isRuleId } from './rule-ids';

/**
 * The one configuration contract for the stack, the Lambdas and the CLI (docs/CONTRACT.md lists
 * every key with its default and meaning). Every key is optional; defaults are filled here.
 */

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

const Cidr = z.union([z.cidrv4(), z.cidrv6()], { error: 'must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8' });

const TimeZone = z
  .string()
  .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin' });

const BusinessHours = z
  .strictObject({
    timezone: TimeZone.default('UTC'),
    days: z.array(z.enum(DAYS)).default(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']),
    start: z.string().regex(HHMM, 'must be HH:MM').default('08:00'),
    end: z.string().regex(HHMM, 'must be HH:MM').default('19:00'),
  })
  .refine((b) => b.start < b.end, { message: 'start must be before end', path: ['end'] });

const Pii = z.strictObject({
  minScore: z.number().min(0).max(1).default(0.8),
  typeSeverity: z.record(z.string(), SeveritySchema).default({ ...DEFAULT_PII_TYPE_SEVERITY }),
  /** Severity for entity types not listed in typeSeverity. */
  defaultSeverity: SeveritySchema.default(DEFAULT_PII_SEVERITY),
  languageCode: z.enum(['en', 'es']).default('en'),
  /** Run the offline detector first and only send Comprehend what it cannot classify itself. */
  localPrescreen: z.boolean().default(true),
});

/** Buttons on Slack alerts (Terminate, Acknowledge, Suppress similar) and the endpoint that takes them. */
const SlackActions = z.strictObject({
  /**
   * Secrets Manager secret (name or ARN) holding the Slack app's signing secret. null: alerts carry no
   * buttons and the stack deploys no action endpoint.
   */
  signingSecretName: z.string().min(1).nullable().default(null),
  /** Slack user ids (`U…`/`W…`) who may press Terminate; nobody when empty. */
  terminateUserIds: z
    .array(z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'must be a Slack user id such as U024BE7LH'))
    .default([]),
  /** How long "Suppress similar" silences the same rule, principal and target. */
  suppressHours: z.number().int().min(1).max(720).default(24),
});

const Alerts = z.strictObject({
  emails: z.array(z.email()).default([]),
  minSeverity: SeveritySchema.default('MEDIUM'),
  slackWebhookSecretName: z.string().min(1).nullable().default(null),
  /**
   * One incident per session (or per principal and category without a session): its first alert and
   * an escalation to CRITICAL go out at once, everything else in one digest when its window closes.
   */
  windowMinutes: z.number().int().min(1).max(1440).default(15),
  slackActions: SlackActions.prefault({}),
});

const AutoTerminate = z.strictObject({
  enabled: z.boolean().default(false),
  dryRun: z.boolean().default(true),
  minSeverity: SeveritySchema.default('CRITICAL'),
  exemptPrincipals: z.array(z.string().min(1)).default(['arn:aws:iam::*:role/BreakGlass*']),
  maxPerHour: z.number().int().min(0).max(1000).default(5),
});

const AccessDenied = z.strictObject({
  /** This many denied attempts by one principal within the window → HIGH. */
  burstThreshold: z.number().int().min(2).default(5),
  windowMinutes: z.number().int().min(1).max(1440).default(10),
});

const FanOut = z.strictObject({
  /** This many distinct targets (instances, tag selectors) by one principal within the window → lateral movement. */
  targets: z.number().int().min(2).max(1000).default(3),
  windowMinutes: z.number().int().min(1).max(1440).default(10),
});

const FirstSeen = z.strictObject({
  /** A principal with no session or command in this many days is first seen again. */
  days: z.number().int().min(1).max(365).default(30),
});

const MissingTranscript = z.strictObject({
  enabled: z.boolean().default(true),
  /** A shell session with no transcript this long after its start is silent. */
  minutes: z.number().int().min(1).max(1440).default(10),
});

const RunCommand = z.strictObject({
  /**
   * AWS-owned Automation runbooks that run commands or scripts given as parameters (StartAutomationExecution
   * of one is Run Command). Runbooks of the account itself (not AWS-owned) always count.
   */
  automationDocuments: z.array(z.string().min(1)).default([]),
});

/**
 * A standing suppression: findings of `rule` whose principal matches `principal` (an ARN pattern, `*`
 * any run of characters, as autoTerminate.exemptPrincipals) and, when given, whose target carries the
 * tag `targetTag` are still recorded (marked suppressed) but not alerted, until `expires`.
 */
const Suppression = z.strictObject({
  rule: z.string().refine((id) => id === '*' || isRuleId(id), { message: 'unknown rule id (or "*")' }),
  principal: z.string().min(1).default('*'),
  targetTag: z.strictObject({ key: z.string().min(1), value: z.string() }).optional(),
  expires: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time such as 2026-12-31T00:00:00Z' }),
  /** Why (shown in the report and the suppressed mark); not matched. */
  reason: z.string().max(200).optional(),
});

/** Stack-only keys (ignored by the CLI and the Lambdas). */
const Stack = z.strictObject({
  /** Existing session log group to monitor; when null the stack creates one. */
  sessionLogGroupName: z.string().min(1).nullable().default(null),
  logRetentionDays: z.number().int().min(1).default(90),
  /** Extra regions that forward their findings to the home region's bus. */
  regions: z
    .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region such as eu-west-1'))
    .default([]),
  homeRegion: z.string().nullable().default(null),
  createTrail: z.boolean().default(false),
  managePreferences: z.boolean().default(false),
  securityHubExport: z.boolean().default(false),
  idleSessionTimeoutMinutes: z.number().int().min(1).max(60).default(20),
  maxSessionDurationMinutes: z.number().int().min(1).max(1440).default(480),
  runAsUser: z.string().nullable().default(null),
  /** Reserved concurrency of the transcripts function: caps parallel Comprehend calls (null = none). */
  transcriptsConcurrency: z.number().int().min(1).max(1000).nullable().default(10),
  /** Reserved concurrency of the Slack function: Slack rate-limits webhooks to about 1 message/s (null = none). */
  slackConcurrency: z.number().int().min(1).max(100).nullable().default(2),
});

export const ConfigSchema = z.strictObject({
  trustedCidrs: z.array(Cidr).default([]),
  businessHours: BusinessHours.nullable().default(null),
  productionTags: z.record(z.string(), z.array(z.string())).default({ Environment: ['prod', 'production'] }),
  sensitivePorts: z
    .array(z.number().int().min(1).max(65535))
    .default([22, 3389, 3306, 5432, 1433, 1521, 27017, 6379, 9200]),
  requireReasonOnProduction: z.boolean().default(false),
  severityOverrides: z
    .record(z.string(), SeveritySchema)
    .superRefine((overrides, ctx) => {
      for (const id of Object.keys(overrides)) {
        if (!isRuleId(id)) ctx.addIssue({ code: 'custom', path: [id], message: 'unknown rule id' });
      }
    })
    .default({}),
  accessDenied: AccessDenied.prefault({}),
  fanOut: FanOut.prefault({}),
  firstSeen: FirstSeen.prefault({}),
  missingTranscript: MissingTranscript.prefault({}),
  runCommand: RunCommand.prefault({}),
  /** Session-type documents whose change counts as preferences tampering (besides any `SSM-SessionManagerRunShell*`). */
  preferencesDocuments: z.array(z.string().min(1)).default(['SSM-SessionManagerRunShell']),
  /** Name prefix of ssm-sentinel's own resources: changing them is monitor tampering. */
  resourcePrefix: z.string().min(1).default('ssm-sentinel'),
  pii: Pii.prefault({}),
  alerts: Alerts.prefault({}),
  suppressions: z.array(Suppression).max(500).default([]),
  autoTerminate: AutoTerminate.prefault({}),
  stack: Stack.prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** A refused configuration; the message names the key and the problem, never the value. */
export class ConfigError extends InputError {
  override readonly name: string = 'ConfigError';
}

/**
 * Validate a configuration; a bad value is refused with a message naming the key and the problem
 * (never the value). `undefined` (no configuration) gives the defaults; anything but a JSON object —
 * `null` included, as a file holding `null` — is refused.
 */
export function parseConfig(input: unknown): Config {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new ConfigError('config must be a JSON object');
  }
  const r = ConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  throw new ConfigError(zodMessage(r.error, { at: (path) => `config key "${path}"` }));
}

export const DEFAULT_CONFIG: Config = parseConfig({});

/** Deep merge of plain objects (arrays and scalars replace): `config` context over `configFile`. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeConfig(base[k], v);
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
