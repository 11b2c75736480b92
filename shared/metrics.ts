/**
 * Metric names and dimensions shared by the handlers (emit) and the dashboard (read), so the two
 * never drift. Dimensions carry only enumerations (severity, category, kind), never personal data.
 */
export const METRICS_NAMESPACE = 'SsmSentinel';

export const Metric = {
  /** Items (events, log deliveries, findings) a handler processed / failed; no dimension but `Function`. */
  Processed: 'Processed',
  Failed: 'Failed',
  /** Findings emitted; dimensions `Severity`, `Category` (separately). */
  Findings: 'Findings',
  /** Sessions started; dimension `SessionKind`. */
  SessionsStarted: 'SessionsStarted',
  /** Personal-data items found; dimension `EntityType`. */
  PiiEntities: 'PiiEntities',
  /** Secrets found; dimension `SecretKind`. */
  Secrets: 'Secrets',
  /** Sessions terminated by the responder (dry runs: `TerminationsDryRun`). */
  Terminations: 'Terminations',
  TerminationsDryRun: 'TerminationsDryRun',
  /** Characters sent to Comprehend and units billed (cost). */
  ComprehendCharacters: 'ComprehendCharacters',
  ComprehendUnits: 'ComprehendUnits',
  /** Alerts published to SNS / posted to Slack; dimensions `Severity`, `AlertKind` (separately). */
  AlertsPublished: 'AlertsPublished',
  /** Findings at or above alerts.minSeverity held for their incident's digest instead of alerted at once. */
  AlertsHeld: 'AlertsHeld',
  /** Findings at or above alerts.minSeverity not alerted because a suppression matched (config or Slack). */
  AlertsSuppressed: 'AlertsSuppressed',
  /** Slack action requests refused (bad or replayed signature, malformed, user not allowed); dimension `Reason`. */
  SlackActionsRefused: 'SlackActionsRefused',
  /**
   * Deliveries whose scan reached a work cap (per line or per delivery: what was past it was only
   * counted): 1 per evidence item of a `scan-work-capped` finding; dimension `CapKind` (its kind).
   */
  ScanWorkCapped: 'ScanWorkCapped',
  /**
   * Deliveries the transcripts function skipped because they hold CloudTrail records, not session
   * logs (a subscription filter on the trail's log group): 1 per delivery.
   */
  MisroutedDeliveries: 'MisroutedDeliveries',
  /** Shell sessions whose transcript is not awaited (a full due bucket, a malformed id): never judged. */
  ExpectationsDropped: 'ExpectationsDropped',
} as const;

export const Dimension = {
  Function: 'Function',
  Severity: 'Severity',
  Category: 'Category',
  SessionKind: 'SessionKind',
  EntityType: 'EntityType',
  SecretKind: 'SecretKind',
  /** `LINE_VALUES_CAPPED` or `DELIVERY_DETECTIONS_CAPPED`. */
  CapKind: 'CapKind',
  /** `opened`, `escalated`, `single` or `digest` (shared/model/digest.ts). */
  AlertKind: 'AlertKind',
  /** Why a Slack action was refused: missing, stale, bad-signature, replayed, too-large, method, malformed, not-allowed. */
  Reason: 'Reason',
} as const;

/** Environment variables the stack sets and the handlers read (validated by zod at start-up). */
export const Env = {
  /** JSON of the configuration contract (shared/model/config.ts). */
  Config: 'SENTINEL_CONFIG',
  TableName: 'TABLE_NAME',
  BusName: 'BUS_NAME',
  TopicArn: 'TOPIC_ARN',
  /** Secrets Manager secret name/ARN or SSM SecureString parameter name holding the Slack webhook URL. */
  SlackWebhookSecret: 'SLACK_WEBHOOK_SECRET',
  /** Secrets Manager secret name/ARN holding the Slack app's signing secret (slack-actions). */
  SlackSigningSecret: 'SLACK_SIGNING_SECRET',
  /** PII engine of the transcripts function: comprehend | local | off. */
  PiiMode: 'PII_MODE',
  /** Comma-separated ARNs of the stack's own KMS keys (session-events: tampering with them). */
  OwnKeys: 'OWN_KEYS',
  OwnLogGroups: 'OWN_LOG_GROUPS',
} as const;

/** EventBridge contract of the findings bus. */
export const FINDING_SOURCE = 'ssm-sentinel';
export const FINDING_DETAIL_TYPE = 'SSM Sentinel Finding';
