import type { Config, ConfigInput } from '../model/config';
import type { Evidence, Finding } from '../model/finding';
import type { CatalogueRule, Route } from '../rules/types';
import type { ReasonSummary, SessionRecord } from '../state/types';

export type { ReasonSummary };

/** Old/new session preferences around a preferences-document change (content is redacted in CloudTrail). */
export interface PreferencesSource {
  /** Current content of a Session document (GetDocument in the Lambda). undefined = unknown. */
  current(documentName: string): Promise<Record<string, unknown> | undefined>;
}

/** What classification needs besides the event: configuration and the stack's own resource refs. No stores. */
export interface ClassifyContext {
  config: Config;
  /**
   * The stack's own KMS key ids/ARNs (the Lambda reads them from OWN_KEYS): a KMS call on one of them
   * is tampering. Without them (the CLI) only calls naming an `alias/<resourcePrefix>` alias count.
   */
  ownKeys?: readonly string[];
  /**
   * An existing session log group the stack monitors (`stack.sessionLogGroupName`, from OWN_LOG_GROUPS):
   * its name does not carry the resource prefix, so tampering with it is found by name.
   */
  ownLogGroups?: readonly string[];
}

/** What a decision needs from state and enrichment; the shell gathers it before classifying. */
export interface FactQuery {
  /** The session record of this id (resume enrichment). */
  sessionId?: string;
  /** The target's tags (production target). */
  target?: string;
  /** Current and stored preferences of this document (preferences change). */
  preferencesDocument?: string;
  /** How many other events of `key` fall within the window ending at `timeMs` (denied-call burst), up to `limit`. */
  window?: { key: string; eventId: string; timeMs: number; windowMs: number; limit: number };
  /** The tags of each instance a command names (first few): production targets of Run Command. */
  targets?: readonly string[];
  /** The distinct targets of a principal within the window ending at `timeMs` (fan-out). */
  fanOut?: FanOutQuery;
  /** When the principal last started a session or command (first seen). */
  seen?: { key: string };
}

/** A principal's fan-out window: `key` hashes the principal, `targets` (hashed) are this event's targets. */
export interface FanOutQuery {
  key: string;
  targets: readonly string[];
  timeMs: number;
  windowMs: number;
  /** The threshold: more members than this are never needed. */
  limit: number;
}

/** The answers to a {@link FactQuery}. Absent = unknown. */
export interface Facts {
  session?: SessionRecord;
  tags?: Record<string, string>;
  /**
   * Present when the shell can read preferences (absent: the change stays HIGH, content unknown).
   * `current`: the document now (undefined = could not be read); `stored`: the digest kept last time.
   */
  preferences?: { current?: Record<string, unknown>; stored?: Record<string, unknown> };
  /** Distinct OTHER events of the window key within the window, before this one. */
  windowCount?: number;
  /** Tags of the instances a command names, in order (undefined: unknown). */
  targetTags?: ReadonlyArray<Record<string, string> | undefined>;
  /** Hashed targets of the principal already in the fan-out window (before this event). */
  fanOutTargets?: ReadonlySet<string>;
  /**
   * Present when the baseline could be read: `lastMs` the principal's last start before (absent:
   * never), `sinceMs` when observation began (absent: it begins with this event).
   */
  seen?: { lastMs?: number; sinceMs?: number };
  /** The sweep's view of a shell session once its transcript is due (missing transcript). */
  silence?: SilenceFacts;
}

/** What the missing-transcript judgement knows of a session when its transcript is due. */
export interface SilenceFacts {
  /** Any transcript of the session arrived. */
  transcriptSeen: boolean;
  /** Transcripts of the session's account and Region are streamed to us (some arrived, in the window). */
  streamingExpected: boolean;
  /** When it was judged (ISO-8601 UTC). */
  judgedAt: string;
  /** When the session ended, if it did. */
  endedAt?: string;
}

/** State to update once the findings are published, in order. */
export type StateWrite =
  | { type: 'session'; record: SessionRecord }
  | { type: 'session-ended'; sessionId: string; time: string }
  | { type: 'window'; key: string; eventId: string; timeMs: number; windowMs: number; limit: number }
  | { type: 'preferences'; document: string; preferences: Record<string, unknown> }
  /** The principal started a session or command at `timeMs`: remembered `ttlDays` (first seen). */
  | { type: 'seen'; key: string; timeMs: number; ttlDays: number }
  /** A shell session whose transcript is due by `dueMs` (missing transcript). */
  | { type: 'expect-transcript'; sessionId: string; dueMs: number };

/** The outcome of one event: findings to publish, then writes to apply. `error`: a one-line reason. */
export interface Classified {
  findings: Finding[];
  writes: StateWrite[];
  error?: string;
}

export interface ClassifyResult {
  findings: Finding[];
  /** Set when the record could not be used: a one-line reason. */
  error?: string;
}

/** What a CloudTrail event means for Session Manager. */
export type SessionAction =
  | 'start'
  | 'resume'
  | 'terminate'
  | 'send-command'
  | 'automation'
  | 'document-change'
  | 'document-share'
  | 'preferences-change'
  | 'monitor-tampering'
  | 'other';

/** What a session does, from its `documentName` (absent = the default shell). */
export type SessionKind =
  | 'shell'
  | 'port-forward-local'
  | 'port-forward-remote'
  | 'ssh'
  | 'interactive-command'
  | 'non-interactive-command'
  | 'custom'
  /** Fleet Manager remote desktop (ssm-guiconnect StartConnection). */
  | 'rdp';

/** How the call was made: console (sessionCredentialFromConsole / console user agent), AWS CLI, an SDK. */
export type CallerClient = 'console' | 'cli' | 'sdk' | 'other' | 'unknown';

/** Who made the call, with the facts the rules need. Never derived from the session id. */
export interface SessionPrincipal {
  /** userIdentity.type as written (IAMUser, AssumedRole, Root, …; 'Unknown' when absent). */
  type: string;
  /** userIdentity.arn, or the best stable identifier when there is none (invokedBy, identity-store user, principalId). */
  arn: string;
  /** User name, role-session name (SSO: usually the e-mail), `root`, or federated user name. */
  name?: string;
  accountId?: string;
  /** sessionContext.attributes.mfaAuthenticated; undefined when the record does not say. */
  mfa?: boolean;
  /** IAM Identity Center role session (`aws-reserved/sso.amazonaws.com/` issuer path). */
  sso: boolean;
  /** The permission set name from `AWSReservedSSO_<set>_<hex>`, when visible. */
  ssoPermissionSet?: string;
  /** Issuing role name for role sessions. */
  roleName?: string;
  /** Signed with a long-term access key: an IAM user without session context, or an `AKIA…` key id. */
  longTermKey: boolean;
  root: boolean;
  /** Role credentials of an EC2 instance profile (the call came from an instance). */
  instanceCredentials: boolean;
  /** An AWS service acting on its own (AWSService identity). */
  service: boolean;
  client: CallerClient;
}

/**
 * A CloudTrail record reduced to what session classification needs. Every string but `eventKey` is
 * display-safe: one line, bounded, and either of its expected shape (account id, region, event id, IP
 * address, error code, host name) or redacted (shared/format/redact.ts: secrets and personal data
 * masked). `eventKey` is raw and only ever hashed (finding ids, state keys).
 */
export interface SessionEvent {
  action: SessionAction;
  eventName: string;
  eventSource: string;
  /** CloudTrail eventID, or a hash of the record when it has none (stable either way). */
  eventKey: string;
  eventId?: string;
  /** ISO-8601 UTC. */
  time: string;
  account?: string;
  region?: string;
  principal: SessionPrincipal;
  sourceIp?: string;
  /** sourceIPAddress is a service (`*.amazonaws.com`, "AWS Internal"), not a network address. */
  sourceIsService: boolean;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  /** Session id from the response (start/resume) or the request (terminate/resume). */
  sessionId?: string;
  target?: string;
  documentName?: string;
  kind?: SessionKind;
  /** Port on the target side (`portNumber`), and the local port when given. */
  port?: number;
  localPort?: number;
  /** Remote host of a remote-host port forward (masked whole unless it is a plain host name or address). */
  host?: string;
  /** The session reason, summarised: never its text. */
  reason?: ReasonSummary;
  /** preferences-change: the document; monitor-tampering: the affected resource (name or ARN). */
  resourceName?: string;
  /** preferences-change, document-change: document type when the record shows it (`Session`, `Command`). */
  documentType?: string;
  /** send-command, automation: what the call runs on. */
  command?: CommandCall;
}

/** What a Run Command or Automation call targets. Every string is display-safe. */
export interface CommandCall {
  /** Instance / managed-node ids named (`instanceIds`, `InstanceIds` targets), first MAX_NAMED. */
  instances: string[];
  /** How many instance ids were named in all. */
  instanceCount: number;
  /** Other target selectors, `key=value,value` (`tag:Environment=prod`, `resource-groups:Name=web`). */
  selectors: string[];
  /** CloudTrail replaced the parameters (the command text) with HIDDEN_DUE_TO_SECURITY_REASONS. */
  parametersHidden: boolean;
  /** CommandId / AutomationExecutionId from the response. */
  id?: string;
}

/**
 * How classify.ts composes a rule's hit (shared/rules/): a StartSession, StartConnection, SendCommand or
 * automation gives one primary finding (the first `principal` hit, else its `kind`), raised one step
 * per `signal`, and each signal its own finding; `fan-out` and `first-seen` add their own finding (and
 * first seen its reason to the others) without raising; a ResumeSession its `resume` hit raised by the
 * signals; a TerminateSession only a `principal` hit (root); a failed call its `tampering` or `denied`
 * hit; a preferences change its `preferences` hit; a document change or share its `document` hit; a
 * monitored call its `tampering` hit. `silence` rules are judged by the missing-transcript sweep.
 */
export type RuleRole =
  | 'kind'
  | 'principal'
  | 'signal'
  | 'resume'
  | 'denied'
  | 'preferences'
  | 'tampering'
  | 'document'
  | 'fan-out'
  | 'first-seen'
  | 'silence';

/** What a rule found in one event: reasons and evidence for its finding. */
export interface Hit {
  reasons: string[];
  evidence: Evidence[];
  /** Severity steps from the rule's (a failed tampering attempt: one lower). */
  steps?: number;
  /** Events summarised (a denied-call burst). */
  count?: number;
}

/** A CloudTrail rule: metadata, what must be routed to it, its matcher and the names of its examples. */
export interface CloudTrailRule extends CatalogueRule<string> {
  role: RuleRole;
  routes: readonly Route[];
  /** Pure: the event, the facts the shell gathered, the configuration. */
  match(ev: SessionEvent, facts: Facts, config: Config): Hit | undefined;
}

/**
 * One example of `shared/rules/examples/<rule id>.json`, named in its rule's `examples`. The record
 * (bare or `event`, an EventBridge envelope) is classified after the `previous` ones, on state built
 * from them; `facts` supplies what the shell would have looked up (tags, preferences read now and
 * stored before). `alsoFires` / `alsoQuiet`: other rules the example pins.
 */
export interface CloudTrailExample {
  name: string;
  record?: unknown;
  event?: unknown;
  config?: ConfigInput;
  facts?: Facts;
  ownKeys?: string[];
  previous?: unknown[];
  alsoFires?: string[];
  alsoQuiet?: string[];
  /** Where the record comes from, when it is derived from a published one (provenance). */
  source?: string;
}
