import { errorCodeField, hostField, identityField, isIpAddress, redactField } from '../format/redact';
import { clip, field } from '../format/sanitize';
import { ACCOUNT_ID, REGION_NAME, UUID } from '../format/shape';
import { stableId } from '../ids';
import { type CloudTrailRecord, IDENTITY_TYPES, type UserIdentity } from '../model/cloudtrail';
import { type Config, DEFAULT_CONFIG } from '../model/config';
import {
  type COMMAND_CALLS,
  DOCUMENT_CALLS,
  GUI_CONNECT_SOURCE,
  PREFERENCES_CALLS,
  PREFERENCES_DOCUMENT_PREFIX,
  READ_ONLY_SESSION_CALLS,
  RUNNABLE_DOCUMENT_TYPES,
  type SESSION_CALLS,
} from './apis';
import { baseEventName, isOwnResource, monitorApi } from './monitor';
import type {
  CallerClient,
  CommandCall,
  ReasonSummary,
  SessionAction,
  SessionEvent,
  SessionKind,
  SessionPrincipal,
} from './types';

const SSM = 'ssm.amazonaws.com';
/** Keyed by the routed calls: a call added to SESSION_CALLS does not compile until it has an action. */
const LIFECYCLE: Readonly<Record<(typeof SESSION_CALLS)[number], SessionAction>> = {
  StartSession: 'start',
  ResumeSession: 'resume',
  TerminateSession: 'terminate',
};
const COMMANDS: Readonly<Record<(typeof COMMAND_CALLS)[number], SessionAction>> = {
  SendCommand: 'send-command',
  StartAutomationExecution: 'automation',
};
const SESSION_ACTIONS: ReadonlyMap<string, SessionAction> = new Map<string, SessionAction>([
  ...Object.entries(LIFECYCLE),
  ...READ_ONLY_SESSION_CALLS.map((name) => [name, 'other'] as const),
]);
const COMMAND_ACTIONS: ReadonlyMap<string, SessionAction> = new Map(Object.entries(COMMANDS));
export const PREFERENCES_EVENTS: ReadonlySet<string> = new Set(PREFERENCES_CALLS);
const DOCUMENT_EVENTS: ReadonlySet<string> = new Set(DOCUMENT_CALLS);
const RUNNABLE_TYPES: ReadonlySet<string> = new Set(RUNNABLE_DOCUMENT_TYPES);
const SHARE = 'ModifyDocumentPermission';
const RDP = 'StartConnection';

export { PREFERENCES_DOCUMENT_PREFIX };

const KINDS: ReadonlyMap<string, SessionKind> = new Map([
  ['SSM-SessionManagerRunShell', 'shell'],
  ['AWS-StartPortForwardingSession', 'port-forward-local'],
  ['AWS-StartPortForwardingSessionToSocket', 'port-forward-local'],
  ['AWS-StartPortForwardingSessionToRemoteHost', 'port-forward-remote'],
  ['AWS-StartSSHSession', 'ssh'],
  ['AWS-StartInteractiveCommand', 'interactive-command'],
  ['AWS-StartNonInteractiveCommand', 'non-interactive-command'],
]);

/**
 * Cheap pre-check on raw members before full validation: false only when the event certainly is not
 * one session classification handles (most of a CloudTrail archive), so the parser can skip it.
 */
export function mayConcernSessions(eventSource: unknown, eventName: unknown): boolean {
  if (typeof eventSource !== 'string' || typeof eventName !== 'string') return true;
  if (eventSource === SSM)
    return (
      SESSION_ACTIONS.has(eventName) ||
      COMMAND_ACTIONS.has(eventName) ||
      PREFERENCES_EVENTS.has(eventName) ||
      eventName === SHARE
    );
  if (eventSource === GUI_CONNECT_SOURCE) return eventName === RDP;
  const api = monitorApi(eventSource);
  return api?.events.has(baseEventName(eventName)) ?? false;
}

/** Longest string kept from a record: CloudTrail members are short; anything longer is hostile or broken. */
const CLIP = 512;

/**
 * Reduce a parsed record to a SessionEvent, or undefined for events session classification does not
 * handle. Pure and cheap: no I/O, no config beyond names (preferences documents, resource prefix).
 * Every string of the event is display-safe (see SessionEvent): decisions that need a raw member
 * (the action, the kind, the monitored resource's prefix) are taken here, before redaction.
 */
export function normalise(
  record: CloudTrailRecord,
  config: Config = DEFAULT_CONFIG,
  ownKeys: readonly string[] = [],
  ownLogGroups: readonly string[] = [],
): SessionEvent | undefined {
  const source = record.eventSource ?? '';
  const own: Ownership = { prefix: config.resourcePrefix, ownKeys, ownLogGroups };
  const action = actionOf(record, source, config, own);
  if (action === undefined) return undefined;

  const req = record.requestParameters ?? {};
  const res = record.responseElements ?? {};
  const rawIp = text(record.sourceIPAddress);
  const ev: SessionEvent = {
    action,
    // Both from fixed lists (actionOf), but still one clean line.
    eventName: field(record.eventName, 128),
    eventSource: field(source, 128),
    // Never shown: only hashed into finding ids and state keys.
    eventKey: record.eventID ? record.eventID : recordHash(record),
    eventId: shaped(record.eventID, UUID, 64),
    time: record.eventTime,
    account: shaped(record.recipientAccountId ?? record.userIdentity?.accountId, ACCOUNT_ID),
    region: shaped(record.awsRegion, REGION_NAME),
    principal: principalOf(record),
    sourceIp: sourceIpOf(rawIp),
    sourceIsService: rawIp !== undefined && isServiceSource(rawIp),
    userAgent: redactField(record.userAgent, 256),
    errorCode: errorCodeField(record.errorCode),
    errorMessage: redactField(record.errorMessage, 256),
  };

  if (source === GUI_CONNECT_SOURCE) {
    addConnectionRequest(ev, req);
  } else if (action === 'start' || action === 'resume' || action === 'terminate' || action === 'other') {
    ev.sessionId = identityField(text(res.sessionId) ?? text(req.sessionId), 128);
  }
  if (action === 'start' && source !== GUI_CONNECT_SOURCE) addSessionRequest(ev, req);
  if (action === 'send-command' || action === 'automation') {
    ev.documentName = redactField(documentName(text(req.documentName)), 256);
    ev.command = commandCall(req, res);
    ev.target = targetSummary(ev.command);
  }
  if (action === 'preferences-change' || action === 'document-change' || action === 'document-share') {
    ev.resourceName = redactField(documentName(text(req.name)), 256);
    ev.documentType = redactField(documentTypeOf(req, res), 64);
  }
  if (action === 'monitor-tampering')
    ev.resourceName = redactField(monitorResource(record, source, own), CLIP);
  return ev;
}

/** A member of a fixed shape (account id, region, event id) as is; anything else redacted. */
function shaped(v: unknown, shape: RegExp, max = 128): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return shape.test(v) ? v : redactField(v, max);
}

/** An IP address as is; a service name (`ssm.amazonaws.com`, `AWS Internal`) or anything else redacted. */
function sourceIpOf(ip: string | undefined): string | undefined {
  if (ip === undefined) return undefined;
  return isIpAddress(ip) ? ip : redactField(ip, 128);
}

/** What makes a resource ours: its name prefix, (KMS) the stack's own key refs, or the monitored log group. */
interface Ownership {
  prefix: string;
  ownKeys: readonly string[];
  ownLogGroups: readonly string[];
}

function actionOf(
  record: CloudTrailRecord,
  source: string,
  config: Config,
  own: Ownership,
): SessionAction | undefined {
  const name = record.eventName;
  if (source === GUI_CONNECT_SOURCE) return name === RDP ? 'start' : undefined;
  if (source === SSM) {
    const a = SESSION_ACTIONS.get(name);
    if (a) return a;
    const command = COMMAND_ACTIONS.get(name);
    if (command === 'automation') return runsCommands(record, config) ? command : undefined;
    if (command) return command;
    if (PREFERENCES_EVENTS.has(name) && isPreferencesDocument(record, config)) return 'preferences-change';
    if (DOCUMENT_EVENTS.has(name) && isRunnableDocument(record)) return 'document-change';
    if (name === SHARE && sharesPublicly(record)) return 'document-share';
    return undefined;
  }
  const api = monitorApi(source);
  if (!api) return undefined;
  const base = baseEventName(name);
  if (!api.events.has(base)) return undefined;
  // A deploy changes our configuration through CloudFormation; deletions still count (stack deleted).
  if (api.configChangeSet.has(base) && isCloudFormation(record)) return undefined;
  if (api.anyResource) return 'monitor-tampering';
  return monitorResource(record, source, own) === undefined ? undefined : 'monitor-tampering';
}

function isPreferencesDocument(record: CloudTrailRecord, config: Config): boolean {
  const req = record.requestParameters ?? {};
  const name = documentName(text(req.name));
  if (
    name !== undefined &&
    (name.startsWith(PREFERENCES_DOCUMENT_PREFIX) || config.preferencesDocuments.includes(name))
  )
    return true;
  return documentTypeOf(req, record.responseElements ?? {}) === 'Session';
}

/**
 * A created or changed document whose content runs on instances. CreateDocument without a type creates
 * a Command document; an update whose record does not show the type counts (it may be one).
 */
function isRunnableDocument(record: CloudTrailRecord): boolean {
  const req = record.requestParameters ?? {};
  const type = documentTypeOf(req, record.responseElements ?? {});
  if (type === undefined) return true;
  return RUNNABLE_TYPES.has(type);
}

/** ModifyDocumentPermission adding the account `all` (any case): the document becomes public. */
function sharesPublicly(record: CloudTrailRecord): boolean {
  const added = record.requestParameters?.accountIdsToAdd;
  const ids = Array.isArray(added) ? added : [added];
  return ids.some((id) => typeof id === 'string' && id.trim().toLowerCase() === 'all');
}

/** Prefixes reserved for AWS-owned documents (AWS-, AWSSupport-, Amazon…, amzn…): no account can use them. */
const AWS_OWNED = /^(?:aws|amazon|amzn)/i;

/**
 * An automation that runs commands: a runbook of the account itself (any may hold `aws:runCommand` or
 * `aws:executeScript` steps; CloudTrail does not show the content) or an AWS runbook listed in
 * `runCommand.automationDocuments`. A runbook named by ARN is judged by its name (shared ones count).
 */
function runsCommands(record: CloudTrailRecord, config: Config): boolean {
  const raw = text(record.requestParameters?.documentName);
  if (raw === undefined) return false;
  const name = documentName(raw) ?? raw;
  if (config.runCommand.automationDocuments.includes(name)) return true;
  return !AWS_OWNED.test(name);
}

/** documentType from the request (CreateDocument) or the returned description, when visible. */
function documentTypeOf(req: Record<string, unknown>, res: Record<string, unknown>): string | undefined {
  const desc = res.documentDescription;
  const fromResponse =
    typeof desc === 'object' && desc !== null
      ? text((desc as Record<string, unknown>).documentType)
      : undefined;
  return text(req.documentType) ?? fromResponse;
}

function addSessionRequest(ev: SessionEvent, req: Record<string, unknown>): void {
  ev.target = redactField(text(req.target), 256);
  const doc = documentName(text(req.documentName));
  ev.documentName = redactField(doc, 256);
  const kind = doc === undefined ? 'shell' : (KINDS.get(doc) ?? 'custom');
  ev.kind = kind;
  const reason = summariseReason(req.reason);
  if (reason) ev.reason = reason;
  const params = typeof req.parameters === 'object' && req.parameters !== null ? req.parameters : {};
  const p = params as Record<string, unknown>;
  ev.port = port(param(p, 'portNumber')) ?? (kind === 'ssh' ? 22 : undefined);
  ev.localPort = port(param(p, 'localPortNumber'));
  const host = hostField(param(p, 'host'));
  if (host) ev.host = host;
}

/** Fleet Manager remote desktop: the instance and the connection id (no transcript by design). */
function addConnectionRequest(ev: SessionEvent, req: Record<string, unknown>): void {
  ev.target = redactField(text(req.InstanceId) ?? text(req.instanceId), 256);
  ev.kind = 'rdp';
}

/** An EC2 instance or hybrid managed-node id; anything else in an id member is redacted. */
const NODE_ID = /^(?:i|mi)-[0-9a-f]{8,17}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Instance ids named per command kept for display and lookups; the count covers them all. */
export const MAX_NAMED = 10;
const HIDDEN = 'HIDDEN_DUE_TO_SECURITY_REASONS';

/**
 * What a SendCommand / StartAutomationExecution targets: `instanceIds` and `targets`
 * (`{key: 'InstanceIds' | 'tag:<k>' | 'tag-key' | 'resource-groups:Name', values}`), bounded.
 */
function commandCall(req: Record<string, unknown>, res: Record<string, unknown>): CommandCall {
  const ids: string[] = [];
  let count = 0;
  const addIds = (values: unknown) => {
    for (const v of Array.isArray(values) ? values : [values]) {
      if (typeof v !== 'string' || v === '') continue;
      count++;
      if (ids.length < MAX_NAMED) ids.push(shaped(v, NODE_ID, 64) ?? '');
    }
  };
  addIds(req.instanceIds);
  // An automation names its instance in its parameters (`InstanceId`), visible unlike a command's.
  if (isRecord(req.parameters)) {
    addIds(req.parameters.InstanceId);
    addIds(req.parameters.InstanceIds);
  }
  const selectors: string[] = [];
  const targets = Array.isArray(req.targets) ? req.targets.slice(0, MAX_NAMED) : [];
  for (const t of targets) {
    if (typeof t !== 'object' || t === null) continue;
    const { key, values } = t as { key?: unknown; values?: unknown; Key?: unknown; Values?: unknown };
    const k = text(key) ?? text((t as { Key?: unknown }).Key);
    const vs = values ?? (t as { Values?: unknown }).Values;
    if (k === undefined) continue;
    if (k.toLowerCase() === 'instanceids') {
      addIds(vs);
      continue;
    }
    const list = (Array.isArray(vs) ? vs : [vs]).filter((v): v is string => typeof v === 'string');
    selectors.push(redactField(`${k}=${list.slice(0, MAX_NAMED).join(',')}`, 200) ?? '');
  }
  const command = typeof res.command === 'object' && res.command !== null ? res.command : {};
  const id = text((command as Record<string, unknown>).commandId) ?? text(res.automationExecutionId);
  return {
    instances: ids.filter((i) => i !== ''),
    instanceCount: count,
    selectors: selectors.filter((s) => s !== ''),
    parametersHidden: isHidden(req.parameters),
    ...(id ? { id: shaped(id, UUID, 64) ?? '' } : {}),
  };
}

/** The parameters, or one of their values, replaced by CloudTrail (a bounded look, never a stringify). */
function isHidden(params: unknown): boolean {
  if (params === HIDDEN) return true;
  if (!isRecord(params)) return false;
  let n = 0;
  for (const v of Object.values(params)) {
    if (++n > MAX_NAMED) break;
    if (v === HIDDEN || (Array.isArray(v) && v[0] === HIDDEN)) return true;
  }
  return false;
}

/** One display line for a command's targets: the instance, or the first few and how many. */
function targetSummary(c: CommandCall): string | undefined {
  const parts = [...c.instances, ...c.selectors];
  if (parts.length === 0) return undefined;
  const total = c.instanceCount + c.selectors.length;
  const shown = parts.slice(0, 3).join(', ');
  return total > 3 ? `${shown} (+${total - 3} more)` : shown;
}

/** Longest masked excerpt of a session reason kept in state. */
const REASON_EXCERPT = 80;

/**
 * What state keeps of a session reason (free text, 1–256 characters, that people fill with ticket
 * numbers, names and worse): that one was given, its length and a short masked excerpt; never the text.
 */
export function summariseReason(reason: unknown): ReasonSummary | undefined {
  const trimmed = text(reason)?.trim();
  if (!trimmed) return undefined;
  return { length: trimmed.length, excerpt: redactField(trimmed, REASON_EXCERPT) ?? '' };
}

/** `parameters` values are arrays of strings; tolerate a bare string or number too. */
function param(params: Record<string, unknown>, key: string): string | undefined {
  const v = params[key];
  const first = Array.isArray(v) ? v[0] : v;
  if (typeof first === 'number' && Number.isFinite(first)) return String(first);
  return typeof first === 'string' && first.trim() ? first.trim() : undefined;
}

function port(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/** `arn:aws:ssm:…:document/Name` → `Name`. */
function documentName(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const i = v.lastIndexOf(':document/');
  return i >= 0 ? v.slice(i + ':document/'.length) : v;
}

/** The affected resource: for prefix-scoped services the first one that is ours, else the first named. */
function monitorResource(record: CloudTrailRecord, source: string, own: Ownership): string | undefined {
  const req = record.requestParameters ?? {};
  const api = monitorApi(source);
  const candidates: string[] = [];
  for (const k of api?.resourceKeys ?? []) {
    const v = text(req[k]);
    if (v !== undefined) candidates.push(v);
  }
  for (const r of record.resources ?? []) if (text(r.ARN) !== undefined) candidates.push(r.ARN as string);
  if (api?.anyResource) return candidates[0];
  return candidates.find((c) => isOwnResource(source, c, own.prefix, own.ownKeys, own.ownLogGroups));
}

function isCloudFormation(record: CloudTrailRecord): boolean {
  const cfn = 'cloudformation.amazonaws.com';
  return record.sourceIPAddress === cfn || record.userIdentity?.invokedBy === cfn;
}

export function isServiceSource(ip: string): boolean {
  return ip === 'AWS Internal' || /(^|\.)amazonaws\.com$/i.test(ip);
}

const SSO_PATH = 'aws-reserved/sso.amazonaws.com/';
const SSO_ROLE = /AWSReservedSSO_(.+)_[0-9a-f]+$/;
const INSTANCE_SESSION = /^i-[0-9a-f]{8,17}$/;
const KNOWN_TYPES: ReadonlySet<string> = new Set(IDENTITY_TYPES);

/** Who made the call. Decided on the raw identity; every string returned is display-safe. */
export function principalOf(record: CloudTrailRecord): SessionPrincipal {
  const id: UserIdentity = record.userIdentity ?? {};
  const rawType = text(id.type);
  const type =
    rawType === undefined
      ? 'Unknown'
      : KNOWN_TYPES.has(rawType)
        ? rawType
        : (redactField(rawType, 64) ?? 'Unknown');
  const ctx = id.sessionContext;
  const issuer = ctx?.sessionIssuer;
  const mfaFlag = ctx?.attributes?.mfaAuthenticated;
  const arn = clip(id.arn, CLIP);
  const onBehalfOf =
    'onBehalfOf' in id ? (id.onBehalfOf as { userId?: unknown; identityStoreArn?: unknown }) : undefined;
  const storeUser =
    typeof onBehalfOf?.userId === 'string'
      ? `${typeof onBehalfOf.identityStoreArn === 'string' ? onBehalfOf.identityStoreArn : 'identitystore'}/user/${onBehalfOf.userId}`
      : undefined;
  const root = type === 'Root' || (arn?.endsWith(':root') ?? false);
  const roleSession = type === 'AssumedRole' && arn ? arn.slice(arn.lastIndexOf('/') + 1) : undefined;
  const roleName = issuer?.userName ?? (type === 'AssumedRole' && arn ? arn.split('/')[1] : undefined);
  const issuerArn = issuer?.arn ?? '';
  const sso =
    type === 'AssumedRole' &&
    (issuerArn.includes(SSO_PATH) || (roleName?.startsWith('AWSReservedSSO_') ?? false));
  // Bounded: the pattern backtracks over `_` separators, and the name is the caller's to choose.
  const permissionSet = sso ? SSO_ROLE.exec((roleName ?? issuerArn).slice(0, 256))?.[1] : undefined;

  return {
    type,
    arn: identityField(arn ?? text(id.invokedBy) ?? storeUser ?? text(id.principalId), CLIP) ?? 'unknown',
    name: identityField(nameOf(type, id, arn, roleSession, root), 256),
    accountId: shaped(id.accountId, ACCOUNT_ID),
    mfa: flag(mfaFlag),
    sso,
    ssoPermissionSet: redactField(permissionSet, 128),
    roleName: redactField(roleName, 128),
    longTermKey: isLongTermKey(type, id),
    root,
    instanceCredentials:
      type === 'AssumedRole' &&
      (ctx?.ec2RoleDelivery !== undefined || INSTANCE_SESSION.test(roleSession ?? '')),
    service: type === 'AWSService',
    client: clientOf(record),
  };
}

/**
 * Signed with a long-term key: an `AKIA` key id, or an IAM user without session context and without a
 * temporary (`ASIA`) key id: sanitised samples replace the id (`ACCESSKEYID`), the shape says enough.
 */
function isLongTermKey(type: string, id: UserIdentity): boolean {
  const key = typeof id.accessKeyId === 'string' ? id.accessKeyId : '';
  if (key.startsWith('AKIA')) return true;
  return type === 'IAMUser' && id.sessionContext === undefined && !key.startsWith('ASIA');
}

function nameOf(
  type: string,
  id: UserIdentity,
  arn: string | undefined,
  roleSession: string | undefined,
  root: boolean,
): string | undefined {
  if (root) return 'root';
  if (roleSession) return roleSession;
  if (type === 'FederatedUser' && arn) return arn.slice(arn.lastIndexOf('/') + 1);
  if (type === 'AWSService') return id.invokedBy;
  return id.userName ?? (arn ? arn.slice(arn.lastIndexOf('/') + 1) : undefined);
}

/** "true"/"false" (or booleans) → boolean; anything else → unknown. */
function flag(v: string | boolean | undefined): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

function clientOf(record: CloudTrailRecord): CallerClient {
  if (flag(record.sessionCredentialFromConsole)) return 'console';
  const ua = record.userAgent;
  if (!ua) return 'unknown';
  if (/console\.(?:aws\.)?amazonaws\.com|signin\.amazonaws\.com/i.test(ua)) return 'console';
  if (/(^|\s)aws-cli\//i.test(ua)) return 'cli';
  if (/aws-sdk|boto3|botocore|aws-sdk-|aws-internal/i.test(ua)) return 'sdk';
  return 'other';
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** A stable key for records without eventID, so finding ids stay deterministic. */
function recordHash(record: CloudTrailRecord): string {
  try {
    return `sha:${stableId(JSON.stringify(record))}`;
  } catch {
    return `sha:${stableId(record.eventName, record.eventTime, record.sourceIPAddress)}`;
  }
}
