import { describeError } from '../errors';
import { redactField } from '../format/redact';
import { stableId } from '../ids';
import type { Config } from '../model/config';
import { type Evidence, type Finding, maxSeverity, type Severity, shiftSeverity } from '../model/finding';
import { withContext } from '../rules/policy';
import { currentDigest } from '../rules/preferences-rules';
import { deniedWindow, SESSION_RULES, SESSION_RULES_BY_ID } from '../rules/session-rules';
import type { SessionRecord } from '../state/types';
import { expectsTranscript, fanOutQuery, isAccess, seenKey } from './access';
import { localTime } from './hours';
import { mayConcernSessions, normalise } from './normalise';
import { parseRecord, unwrapEnvelope } from './parse';
import { composeTitle, type TitleReason } from './title';
import type {
  Classified,
  ClassifyContext,
  CloudTrailRule,
  FactQuery,
  Facts,
  Hit,
  RuleRole,
  SessionEvent,
  SessionKind,
  SessionPrincipal,
  SilenceFacts,
  StateWrite,
} from './types';

/**
 * Session classification as plain functions: {@link readRecord} turns a record into an event,
 * {@link factsFor} says what state the decision needs, {@link classifyEvent} decides from the event and
 * those facts and returns the findings and the state writes. No I/O: the shell (shared/pipeline/record.ts)
 * gathers the facts, publishes, then applies the writes. None of them throws.
 */

/**
 * One CloudTrail record (bare or inside an EventBridge envelope) as an event; `{}` when session
 * classification does not handle it, `error` (one line) when it cannot be used.
 */
export function readRecord(raw: unknown, ctx: ClassifyContext): { event?: SessionEvent; error?: string } {
  try {
    const inner = unwrapEnvelope(raw);
    if (typeof inner === 'object' && inner !== null) {
      const r = inner as Record<string, unknown>;
      // Most of an archive is other services' events: skip them before full validation.
      if (!mayConcernSessions(r.eventSource, r.eventName)) return {};
    }
    const parsed = parseRecord(inner);
    if (!parsed.ok) return { error: parsed.error };
    const event = normalise(parsed.record, ctx.config, ctx.ownKeys, ctx.ownLogGroups);
    return event ? { event } : {};
  } catch (e) {
    return { error: `classification failed: ${describeError(e)}` };
  }
}

/** The state and enrichment {@link classifyEvent} will need for this event. */
export function factsFor(ev: SessionEvent, ctx: ClassifyContext): FactQuery {
  if (ev.errorCode !== undefined) {
    const window = deniedWindow(ev, ctx.config);
    return window ? { window } : {};
  }
  if (isAccess(ev)) {
    const q: FactQuery = { seen: { key: seenKey(ev) } };
    if (ev.action === 'start' && ev.target) q.target = ev.target;
    if (ev.command && ev.command.instances.length > 0)
      q.targets = ev.command.instances.slice(0, MAX_TAG_LOOKUPS);
    const fanOut = fanOutQuery(ev, ctx.config);
    if (fanOut) q.fanOut = fanOut;
    return q;
  }
  if (ev.action === 'resume') return ev.sessionId ? { sessionId: ev.sessionId } : {};
  if (ev.action === 'preferences-change' && ev.eventName !== 'DeleteDocument' && ev.resourceName)
    return { preferencesDocument: ev.resourceName };
  return {};
}

/** Instances of one command whose tags are looked up (production targets); the rest are counted only. */
export const MAX_TAG_LOOKUPS = 5;

/** Findings for one event, and the state writes to apply after publishing them. */
export function classifyEvent(ev: SessionEvent, facts: Facts, ctx: ClassifyContext): Classified {
  try {
    return decide(ev, facts, ctx.config);
  } catch (e) {
    return { findings: [], writes: [], error: `classification failed: ${describeError(e)}` };
  }
}

function decide(ev: SessionEvent, facts: Facts, config: Config): Classified {
  if (ev.errorCode !== undefined) {
    const writes: StateWrite[] = [];
    const window = deniedWindow(ev, config);
    if (window) writes.push({ type: 'window', ...window });
    return { findings: single(['tampering', 'denied'], ev, facts, config), writes };
  }
  switch (ev.action) {
    case 'start':
    case 'send-command':
    case 'automation':
      return access(ev, facts, config);
    case 'resume':
      return { findings: resume(ev, facts, config), writes: [] };
    case 'terminate':
      return {
        findings: single(['principal'], ev, facts, config),
        writes: ev.sessionId ? [{ type: 'session-ended', sessionId: ev.sessionId, time: ev.time }] : [],
      };
    case 'document-change':
    case 'document-share':
      return { findings: single(['document'], ev, facts, config), writes: [] };
    case 'preferences-change': {
      const digest = currentDigest(ev, facts);
      const writes: StateWrite[] =
        digest && ev.resourceName
          ? [{ type: 'preferences', document: ev.resourceName, preferences: digest }]
          : [];
      return { findings: single(['preferences'], ev, facts, config), writes };
    }
    case 'monitor-tampering':
      return { findings: single(['tampering'], ev, facts, config), writes: [] };
    case 'other':
      return { findings: [], writes: [] };
  }
}

/** The rules of one role, in catalogue order. */
const BY_ROLE = new Map<RuleRole, CloudTrailRule[]>();
for (const rule of SESSION_RULES) BY_ROLE.set(rule.role, [...(BY_ROLE.get(rule.role) ?? []), rule]);

function rulesOf(role: RuleRole): readonly CloudTrailRule[] {
  return BY_ROLE.get(role) ?? [];
}

interface RuleHit {
  rule: CloudTrailRule;
  hit: Hit;
}

function firstHit(
  roles: readonly RuleRole[],
  ev: SessionEvent,
  facts: Facts,
  config: Config,
): RuleHit | undefined {
  for (const role of roles) {
    for (const rule of rulesOf(role)) {
      const hit = rule.match(ev, facts, config);
      if (hit) return { rule, hit };
    }
  }
  return undefined;
}

function allHits(role: RuleRole, ev: SessionEvent, facts: Facts, config: Config): RuleHit[] {
  const out: RuleHit[] = [];
  for (const rule of rulesOf(role)) {
    const hit = rule.match(ev, facts, config);
    if (hit) out.push({ rule, hit });
  }
  return out;
}

/** Events with one outcome: the first rule of the roles that matches, at its severity moved by its steps. */
function single(roles: readonly RuleRole[], ev: SessionEvent, facts: Facts, config: Config): Finding[] {
  const r = firstHit(roles, ev, facts, config);
  if (!r) return [];
  return [
    finding(r.rule, ev, config, {
      severity: shiftSeverity(severityOf(r.rule, config), r.hit.steps ?? 0),
      reasons: r.hit.reasons,
      evidence: r.hit.evidence,
      count: r.hit.count,
    }),
  ];
}

const UNLOGGED: ReadonlySet<SessionKind> = new Set([
  'port-forward-local',
  'port-forward-remote',
  'ssh',
  'rdp',
]);
const SHELL = 'session-start-shell';
const FROM_INSTANCE = 'run-command-from-instance';
const LONG_TERM_KEY = 'session-long-term-key-no-mfa';

/** A reason, with its evidence, that raises the primary finding one step; `why` names it in the title. */
interface Signal {
  reasons: string[];
  evidence: Evidence[];
  why?: TitleReason;
}

/**
 * A session start, remote desktop connection, command or automation: one primary finding raised by
 * the signals, the signals' own findings, then fan-out and first seen (which do not raise).
 */
function access(ev: SessionEvent, facts: Facts, config: Config): Classified {
  const kind = firstHit(['kind'], ev, facts, config) ?? (ev.action === 'start' ? fallbackShell() : undefined);
  if (!kind) return { findings: [], writes: [] };
  const privileged = firstHit(['principal'], ev, facts, config);
  const signals: Signal[] = [];
  const context: Finding[] = [];
  for (const { rule, hit } of allHits('signal', ev, facts, config)) {
    signals.push({ ...hit, why: signalReason(rule, ev, config) });
    context.push(finding(rule, ev, config, { reasons: hit.reasons, evidence: hit.evidence }));
  }
  const p = ev.principal;
  if ((p.type === 'IAMUser' || p.root) && p.mfa !== true && privileged?.rule.id !== LONG_TERM_KEY)
    signals.push({ reasons: ['no MFA on the calling credentials'], evidence: [], why: { kind: 'no-mfa' } });
  // Run Command from an instance has a rule of its own (HIGH): not raised again for the same fact.
  if (p.instanceCredentials && kind.rule.id !== FROM_INSTANCE)
    signals.push({
      reasons: ['called with EC2 instance-role credentials (from inside an instance)'],
      evidence: [],
      why: { kind: 'instance-credentials' },
    });

  let primary: Finding;
  if (privileged) {
    // The principal outranks the kind; an unlogged kind keeps its own queryable finding and raises the primary.
    const base = maxSeverity(severityOf(privileged.rule, config), severityOf(kind.rule, config));
    const all: Signal[] = [];
    if (ev.kind && UNLOGGED.has(ev.kind)) {
      all.push({ reasons: [`${kindLabel(ev.kind)}: no transcript by design`], evidence: [] });
      context.unshift(
        finding(kind.rule, ev, config, { reasons: kind.hit.reasons, evidence: kind.hit.evidence }),
      );
    }
    all.push(...signals);
    primary = finding(privileged.rule, ev, config, {
      severity: withContext(base, all.length),
      reasons: [...privileged.hit.reasons, ...kind.hit.reasons, ...all.flatMap((s) => s.reasons)],
      evidence: [...privileged.hit.evidence, ...kind.hit.evidence, ...all.flatMap((s) => s.evidence)],
    });
  } else {
    primary = finding(kind.rule, ev, config, {
      severity: withContext(severityOf(kind.rule, config), signals.length),
      reasons: [...kind.hit.reasons, ...signals.flatMap((s) => s.reasons)],
      evidence: [...kind.hit.evidence, ...signals.flatMap((s) => s.evidence)],
    });
  }

  const findings = [primary, ...context];
  for (const { rule, hit } of allHits('fan-out', ev, facts, config))
    findings.push(
      finding(rule, ev, config, { reasons: hit.reasons, evidence: hit.evidence, count: hit.count }),
    );
  const novel = allHits('first-seen', ev, facts, config);
  // First seen explains the other findings of the event: its reason joins theirs, without a step.
  for (const f of findings) f.reasons.push(...novel.flatMap((n) => n.hit.reasons));
  const why = signals.flatMap((s) => (s.why ? [s.why] : []));
  if (ev.kind && UNLOGGED.has(ev.kind) && privileged) why.push({ kind: 'unlogged' });
  if (novel.length > 0) why.push({ kind: 'first-seen', days: config.firstSeen.days });
  // The principal names who, not why: without context the rule's own title stays.
  if (why.length > 0 && privileged) why.push(principalReason(privileged.rule.id));
  primary.title = composeTitle({ ruleId: kind.rule.id, port: ev.port, reasons: why }, primary.title);
  for (const { rule, hit } of novel)
    findings.push(finding(rule, ev, config, { reasons: hit.reasons, evidence: hit.evidence }));
  return { findings, writes: accessWrites(ev, primary, config) };
}

function accessWrites(ev: SessionEvent, primary: Finding, config: Config): StateWrite[] {
  const writes: StateWrite[] = [];
  if (ev.sessionId) writes.push({ type: 'session', record: sessionRecord(ev, primary) });
  const timeMs = Date.parse(ev.time);
  if (!Number.isFinite(timeMs)) return writes;
  writes.push({ type: 'seen', key: seenKey(ev), timeMs, ttlDays: config.firstSeen.days });
  const fanOut = fanOutQuery(ev, config);
  if (fanOut) {
    const { key, windowMs, limit } = fanOut;
    // Kept to the minute: the same target reached again within it is one member, so a principal
    // hammering one instance cannot fill the window's item and hide new targets.
    const minute = Math.floor(timeMs / 60_000) * 60_000;
    for (const target of fanOut.targets)
      writes.push({ type: 'window', key, eventId: target, timeMs: minute, windowMs, limit });
  }
  if (ev.sessionId && config.missingTranscript.enabled && expectsTranscript(ev))
    writes.push({
      type: 'expect-transcript',
      sessionId: ev.sessionId,
      dueMs: timeMs + config.missingTranscript.minutes * 60_000,
    });
  return writes;
}

/** Every start has a kind rule; should none match, it is a shell. */
function fallbackShell(): RuleHit {
  const rule = SESSION_RULES_BY_ID.get(SHELL);
  if (!rule) throw new Error(`rule ${SHELL} missing`);
  return { rule, hit: { reasons: ['interactive shell session'], evidence: [] } };
}

function sessionRecord(ev: SessionEvent, primary: Finding): SessionRecord {
  return {
    sessionId: ev.sessionId ?? '',
    startTime: ev.time,
    account: ev.account,
    region: ev.region,
    target: ev.target,
    principal: primary.principal,
    sourceIp: ev.sourceIp,
    documentName: ev.documentName,
    sessionKind: ev.kind,
    reason: ev.reason,
  };
}

function resume(ev: SessionEvent, facts: Facts, config: Config): Finding[] {
  const start = facts.session;
  // Stored members were redacted when written; redacting again keeps older items safe too (idempotent).
  const enriched: SessionEvent = {
    ...ev,
    target: ev.target ?? redactField(start?.target, 256),
    documentName: ev.documentName ?? redactField(start?.documentName, 256),
    kind: ev.kind ?? (start?.sessionKind as SessionKind | undefined),
  };
  const signals = allHits('signal', enriched, facts, config);
  const context = signals.map(({ rule, hit }) =>
    finding(rule, enriched, config, { reasons: hit.reasons, evidence: hit.evidence }),
  );
  const privileged = firstHit(['principal'], enriched, facts, config);
  if (privileged)
    context.unshift(
      finding(privileged.rule, enriched, config, {
        reasons: privileged.hit.reasons,
        evidence: privileged.hit.evidence,
      }),
    );
  const r = firstHit(['resume'], enriched, facts, config);
  if (!r) return context;
  const primary = finding(r.rule, enriched, config, {
    severity: withContext(severityOf(r.rule, config), signals.length),
    reasons: [...r.hit.reasons, ...signals.flatMap((s) => s.hit.reasons)],
    evidence: r.hit.evidence,
  });
  const why = signals.flatMap(({ rule }) => {
    const reason = signalReason(rule, enriched, config);
    return reason ? [reason] : [];
  });
  primary.title = composeTitle({ ruleId: r.rule.id, reasons: why }, primary.title);
  return [primary, ...context];
}

/**
 * What a context rule's hit says in a title, from the rule's category and the event's own checked
 * fields (never its reason text). A command's target is a summary of ids and selectors: not named.
 */
function signalReason(rule: CloudTrailRule, ev: SessionEvent, config: Config): TitleReason | undefined {
  switch (rule.category) {
    case 'production-target':
      return ev.command || ev.target === undefined
        ? { kind: 'production' }
        : { kind: 'production', target: ev.target };
    case 'untrusted-network':
      return { kind: 'untrusted-network' };
    case 'off-hours': {
      // The rule's own computation (cached formatter): local weekday and time in the configured zone.
      const zone = config.businessHours?.timezone;
      const local = zone ? localTime(ev.time, zone) : undefined;
      return local ? { kind: 'off-hours', ...local, timezone: zone } : { kind: 'off-hours' };
    }
    case 'missing-reason':
      return { kind: 'missing-reason' };
    default:
      return undefined;
  }
}

function principalReason(ruleId: string): TitleReason {
  return ruleId === LONG_TERM_KEY ? { kind: 'long-term-key' } : { kind: 'root' };
}

function kindLabel(kind: SessionKind): string {
  if (kind === 'ssh') return 'SSH session';
  return kind === 'rdp' ? 'remote desktop' : 'port forwarding';
}

/**
 * The missing-transcript judgement of a stored shell session once its transcript is due: a finding
 * when a `silence` rule matches (no transcript while its account and Region stream them), else none.
 * Run by the scheduled sweep (functions/transcript-sweep) and at the end of a replay.
 */
export function judgeSilence(record: SessionRecord, silence: SilenceFacts, config: Config): Finding[] {
  try {
    const ev = eventOf(record);
    const r = firstHit(['silence'], ev, { silence }, config);
    if (!r) return [];
    // Dated when the transcript fell due, not when a sweep got to it: the same in replay and Lambda.
    const startMs = Date.parse(record.startTime);
    const due = Number.isFinite(startMs)
      ? new Date(startMs + config.missingTranscript.minutes * 60_000).toISOString()
      : silence.judgedAt;
    const f = finding(r.rule, { ...ev, time: due }, config, {
      reasons: r.hit.reasons,
      evidence: r.hit.evidence,
    });
    return [{ ...f, id: stableId(record.sessionId, r.rule.id) }];
  } catch {
    return [];
  }
}

/** A stored session as the start event it was written from (display-safe members only). */
export function eventOf(record: SessionRecord): SessionEvent {
  const p = record.principal;
  const principal: SessionPrincipal = {
    type: p?.type ?? 'Unknown',
    arn: p?.arn ?? 'unknown',
    ...(p?.name ? { name: p.name } : {}),
    sso: false,
    longTermKey: false,
    root: false,
    instanceCredentials: false,
    service: false,
    client: 'unknown',
  };
  const ev: SessionEvent = {
    action: 'start',
    eventName: 'StartSession',
    eventSource: 'ssm.amazonaws.com',
    eventKey: `session:${record.sessionId}`,
    time: record.startTime,
    principal,
    sourceIsService: false,
    sessionId: record.sessionId,
  };
  if (record.account) ev.account = record.account;
  if (record.region) ev.region = record.region;
  if (record.target) ev.target = record.target;
  if (record.sourceIp) ev.sourceIp = record.sourceIp;
  if (record.documentName) ev.documentName = record.documentName;
  if (record.sessionKind) ev.kind = record.sessionKind as SessionKind;
  return ev;
}

function severityOf(rule: CloudTrailRule, config: Config): Severity {
  return config.severityOverrides[rule.id] ?? rule.severity;
}

function finding(
  rule: CloudTrailRule,
  ev: SessionEvent,
  config: Config,
  extra: { severity?: Severity; reasons: string[]; evidence: Evidence[]; count?: number },
): Finding {
  const p = ev.principal;
  const f: Finding = {
    id: stableId(ev.eventKey, rule.id),
    ruleId: rule.id,
    category: rule.category,
    severity: extra.severity ?? severityOf(rule, config),
    title: rule.title,
    source: 'cloudtrail',
    time: ev.time,
    reasons: extra.reasons,
    evidence: extra.evidence,
    principal: { arn: p.arn, type: p.type, ...(p.name ? { name: p.name } : {}) },
  };
  if (ev.account) f.account = ev.account;
  if (ev.region) f.region = ev.region;
  if (ev.sessionId) f.sessionId = ev.sessionId;
  if (ev.target) f.target = ev.target;
  if (ev.sourceIp) f.sourceIp = ev.sourceIp;
  if (ev.documentName) f.documentName = ev.documentName;
  if (ev.kind) f.sessionKind = ev.kind;
  if (ev.eventId) f.eventId = ev.eventId;
  if (extra.count !== undefined) f.count = extra.count;
  return f;
}
