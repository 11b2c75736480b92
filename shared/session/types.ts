import type { Config } from '../model/config';
import type { Finding } from '../model/finding';
import type {
  PreferencesStore,
  ReasonSummary,
  SessionStore,
  TargetTagSource,
  WindowStore,
} from '../state/types';

export type { ReasonSummary };

/** Old/new session preferences around a preferences-document change (content is redacted in CloudTrail). */
export interface PreferencesSource {
  /** Current content of a Session document (GetDocument in the Lambda). undefined = unknown. */
  current(documentName: string): Promise<Record<string, unknown> | undefined>;
}

export interface ClassifyContext {
  config: Config;
  sessions: SessionStore;
  windows: WindowStore;
  tags: TargetTagSource;
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
  /** Optional: without it a preferences change stays HIGH (content unknown). */
  preferences?: { source: PreferencesSource; store: PreferencesStore };
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
  | 'custom';

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
  /** Signed with a long-term access key (`AKIA…`). */
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
  /** preferences-change: document type when the record shows it (`Session`). */
  documentType?: string;
}
