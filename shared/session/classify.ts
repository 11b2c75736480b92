import { describeError } from '../errors';
import { redactField } from '../format/redact';
import { stableId } from '../ids';
import type { Config } from '../model/config';
import { type Evidence, type Finding, maxSeverity, type Severity, shiftSeverity } from '../model/finding';
import { SESSION_RULES_BY_ID } from '../rules/session-rules';
import { isOffHours } from './hours';
import { baseEventName } from './monitor';
import { CidrMatcher } from './network';
import { mayConcernSessions, normalise } from './normalise';
import { parseRecord, unwrapEnvelope } from './parse';
import { diffPreferences, digestPreferences, preferenceInputs } from './preferences';
import type { ClassifyContext, ClassifyResult, SessionEvent, SessionKind } from './types';

/**
 * Classify one CloudTrail record (bare or inside an EventBridge envelope). Never throws: unusable
 * input or a failing store becomes `error`, a one-line reason; irrelevant events give no findings.
 */
export async function classifyRecord(raw: unknown, ctx: ClassifyContext): Promise<ClassifyResult> {
  try {
    const inner = unwrapEnvelope(raw);
    if (typeof inner === 'object' && inner !== null) {
      const r = inner as Record<string, unknown>;
      // Most of an archive is other services' events: skip them before full validation.
      if (!mayConcernSessions(r.eventSource, r.eventName)) return { findings: [] };
    }
    const parsed = parseRecord(inner);
    if (!parsed.ok) return { findings: [], error: parsed.error };
    const ev = normalise(parsed.record, ctx.config, ctx.ownKeys, ctx.ownLogGroups);
    if (!ev) return { findings: [] };
    return { findings: await classifyEvent(ev, ctx) };
  } catch (e) {
    return { findings: [], error: `classification failed: ${describeError(e)}` };
  }
}

/** Findings for one normalised event; updates session, window and preferences state through ctx. */
export async function classifyEvent(ev: SessionEvent, ctx: ClassifyContext): Promise<Finding[]> {
  if (ev.errorCode !== undefined) return failedCall(ev, ctx);
  switch (ev.action) {
    case 'start':
      return startFindings(ev, ctx);
    case 'resume':
      return resumeFindings(ev, ctx);
    case 'terminate':
      if (ev.sessionId) await ctx.sessions.markEnded(ev.sessionId, ev.time);
      return [];
    case 'preferences-change':
      return [await preferencesFinding(ev, ctx)];
    case 'monitor-tampering':
      return [tamperingFinding(ev, ctx.config, [])];
    case 'other':
      return [];
  }
}

/** A reason, optionally with evidence, that raises the primary finding one step. */
interface Signal {
  reason: string;
  evidence?: Evidence;
}

interface Hit {
  ruleId: string;
  reasons: string[];
  evidence: Evidence[];
}

const UNLOGGED: ReadonlySet<SessionKind> = new Set(['port-forward-local', 'port-forward-remote', 'ssh']);
const DENIED = /^(?:Client\.)?(?:AccessDenied|UnauthorizedOperation)/i;

async function startFindings(ev: SessionEvent, ctx: ClassifyContext): Promise<Finding[]> {
  const { config } = ctx;
  const kind = kindHit(ev, config);
  const privileged = privilegedHit(ev);
  const context: Finding[] = [];
  const signals: Signal[] = [];
  const addContext = (ruleId: string, signal: Signal) => {
    signals.push(signal);
    context.push(finding(ruleId, ev, config, { reasons: [signal.reason], evidence: evidenceOf(signal) }));
  };

  const prodTag = await productionTag(ev.target, ctx);
  if (prodTag) addContext('session-production-target', { reason: `production target (tag ${prodTag})` });
  const network = untrustedNetwork(ev, config);
  if (network) addContext('session-untrusted-network', network);
  const hours = offHours(ev, config);
  if (hours) addContext('session-off-hours', hours);
  if (prodTag && config.requireReasonOnProduction && !ev.reason) {
    addContext('session-missing-reason', { reason: 'no reason given for a production target' });
  }
  const p = ev.principal;
  if (
    (p.type === 'IAMUser' || p.root) &&
    p.mfa !== true &&
    privileged?.ruleId !== 'session-long-term-key-no-mfa'
  ) {
    signals.push({ reason: 'no MFA on the calling credentials' });
  }
  if (p.instanceCredentials)
    signals.push({ reason: 'called with EC2 instance-role credentials (from inside an instance)' });

  let primary: Finding;
  if (privileged) {
    // The principal outranks the kind; an unlogged kind keeps its own queryable finding and raises the primary.
    const base = maxSeverity(severityOf(privileged.ruleId, config), severityOf(kind.ruleId, config));
    const kindSignals: Signal[] = [];
    if (ev.kind && UNLOGGED.has(ev.kind)) {
      kindSignals.push({ reason: `${kindLabel(ev.kind)}: no transcript by design` });
      context.unshift(finding(kind.ruleId, ev, config, { reasons: kind.reasons, evidence: kind.evidence }));
    }
    const all = [...kindSignals, ...signals];
    primary = finding(privileged.ruleId, ev, config, {
      severity: shiftSeverity(base, all.length),
      reasons: [...privileged.reasons, ...kind.reasons, ...all.map((s) => s.reason)],
      evidence: [...privileged.evidence, ...kind.evidence, ...all.flatMap(evidenceOf)],
    });
  } else {
    primary = finding(kind.ruleId, ev, config, {
      severity: shiftSeverity(severityOf(kind.ruleId, config), signals.length),
      reasons: [...kind.reasons, ...signals.map((s) => s.reason)],
      evidence: [...kind.evidence, ...signals.flatMap(evidenceOf)],
    });
  }

  if (ev.sessionId) {
    await ctx.sessions.put({
      sessionId: ev.sessionId,
      startTime: ev.time,
      account: ev.account,
      region: ev.region,
      target: ev.target,
      principal: primary.principal,
      sourceIp: ev.sourceIp,
      documentName: ev.documentName,
      sessionKind: ev.kind,
      reason: ev.reason,
    });
  }
  return [primary, ...context];
}

async function resumeFindings(ev: SessionEvent, ctx: ClassifyContext): Promise<Finding[]> {
  const { config } = ctx;
  const start = ev.sessionId ? await ctx.sessions.get(ev.sessionId) : undefined;
  // Stored members were redacted when written; redacting again keeps older items safe too (idempotent).
  const enriched: SessionEvent = {
    ...ev,
    target: ev.target ?? redactField(start?.target, 256),
    documentName: ev.documentName ?? redactField(start?.documentName, 256),
    kind: ev.kind ?? (start?.sessionKind as SessionKind | undefined),
  };
  const signals: Signal[] = [];
  const context: Finding[] = [];
  for (const [ruleId, signal] of [
    ['session-untrusted-network', untrustedNetwork(enriched, config)],
    ['session-off-hours', offHours(enriched, config)],
  ] as const) {
    if (!signal) continue;
    signals.push(signal);
    context.push(
      finding(ruleId, enriched, config, { reasons: [signal.reason], evidence: evidenceOf(signal) }),
    );
  }
  const before = redactField(start?.sourceIp, 128);
  const now = ev.sourceIp;
  if (before === undefined || now === undefined || ev.sourceIsService || sameIp(before, now)) return context;
  const primary = finding('session-resumed-new-ip', enriched, config, {
    severity: shiftSeverity(severityOf('session-resumed-new-ip', config), signals.length),
    reasons: [`resumed from ${now}, started from ${before}`, ...signals.map((s) => s.reason)],
    evidence: [
      { kind: 'SOURCE_IP', excerpt: now },
      { kind: 'START_SOURCE_IP', excerpt: before },
    ],
  });
  return [primary, ...context];
}

async function failedCall(ev: SessionEvent, ctx: ClassifyContext): Promise<Finding[]> {
  const code = ev.errorCode ?? '';
  if (ev.action === 'monitor-tampering') {
    return [tamperingFinding(ev, ctx.config, [`the call failed (${code}): an attempt only`], -1)];
  }
  if (!DENIED.test(code)) return [];
  const { windowMinutes, burstThreshold } = ctx.config.accessDenied;
  const timeMs = Date.parse(ev.time);
  // Keys and ids are hashed: window items in state hold no ARN or event id of the record.
  const count = await ctx.windows.hit(
    `access-denied#${stableId(ev.principal.arn)}`,
    stableId(ev.eventKey),
    timeMs,
    windowMinutes * 60_000,
  );
  const burst = count >= burstThreshold;
  const what =
    ev.action === 'preferences-change'
      ? `${ev.eventName} of ${ev.resourceName ?? 'a document'}`
      : ev.eventName;
  const reasons = [`${what} denied (${code})`];
  if (ev.target) reasons.push(`target ${ev.target}`);
  if (burst)
    reasons.push(`${count} denied Session Manager calls by this principal within ${windowMinutes} min`);
  return [
    finding(burst ? 'session-access-denied-burst' : 'session-access-denied', ev, ctx.config, {
      reasons,
      evidence: [{ kind: 'ERROR_CODE', excerpt: code }],
      count: burst ? count : undefined,
    }),
  ];
}

async function preferencesFinding(ev: SessionEvent, ctx: ClassifyContext): Promise<Finding> {
  const { config } = ctx;
  const name = ev.resourceName ?? 'a Session document';
  const evidence: Evidence[] = [{ kind: 'DOCUMENT', excerpt: name }];
  if (ev.eventName === 'DeleteDocument') {
    return finding('session-preferences-deleted', ev, config, {
      reasons: [`${name} deleted: sessions fall back to defaults without logging, streaming or encryption`],
      evidence,
    });
  }
  const reasons = [`${ev.eventName} of ${name}`];
  const prefs = ctx.preferences;
  if (!prefs || !ev.resourceName) {
    reasons.push('content is redacted in CloudTrail: the new preferences are unknown');
    return finding('session-preferences-changed', ev, config, { reasons, evidence });
  }
  const read = preferenceInputs(await currentPreferences(prefs.source, ev.resourceName));
  if (!read) {
    reasons.push('the new preferences could not be read');
    return finding('session-preferences-changed', ev, config, { reasons, evidence });
  }
  // Compared and stored as digests: state never holds a preference value (bucket, log group, key).
  const current = digestPreferences(read);
  const stored = await prefs.store.get(ev.resourceName);
  const before = stored === undefined ? undefined : digestPreferences(stored);
  const diff = diffPreferences(before, current);
  await prefs.store.put(ev.resourceName, current);
  for (const c of diff.changes)
    evidence.push({ kind: 'PREFERENCE', excerpt: `${redactField(c.key, 80) ?? '(unnamed)'}: ${c.change}` });
  if (before === undefined) reasons.push('no earlier preferences known: compared against nothing');
  if (diff.disabled.length === 0) {
    if (before !== undefined && diff.changes.length === 0) reasons.push('no preference value changed');
    return finding('session-preferences-changed', ev, config, { reasons, evidence });
  }
  for (const d of diff.disabled) reasons.push(`${d} switched off`);
  for (const d of diff.disabled) evidence.push({ kind: 'PROTECTION_OFF', excerpt: d });
  return finding('session-preferences-protection-disabled', ev, config, { reasons, evidence });
}

async function currentPreferences(
  source: { current(name: string): Promise<Record<string, unknown> | undefined> },
  name: string,
): Promise<Record<string, unknown> | undefined> {
  try {
    return await source.current(name);
  } catch {
    // An unreadable document leaves the change at HIGH instead of losing the finding.
    return undefined;
  }
}

function tamperingFinding(ev: SessionEvent, config: Config, extra: string[], steps = 0): Finding {
  const trail = ev.eventSource === 'cloudtrail.amazonaws.com';
  const ruleId = trail ? 'monitor-cloudtrail-tampering' : 'monitor-resource-tampering';
  const api = `${ev.eventSource.split('.')[0]}:${baseEventName(ev.eventName)}`;
  const resource = ev.resourceName ?? (trail ? 'a trail' : 'a resource');
  const reasons = [
    trail
      ? `${api} on ${resource}: EventBridge gets session events only while a trail is logging`
      : `${api} on ${resource}, a resource of ssm-sentinel (prefix ${config.resourcePrefix})`,
    ...extra,
  ];
  const evidence: Evidence[] = [{ kind: 'API', excerpt: api }];
  if (ev.resourceName) evidence.push({ kind: 'RESOURCE', excerpt: ev.resourceName });
  return finding(ruleId, ev, config, {
    severity: shiftSeverity(severityOf(ruleId, config), steps),
    reasons,
    evidence,
  });
}

function kindHit(ev: SessionEvent, config: Config): Hit {
  const port = ev.port;
  const sensitive = port !== undefined && config.sensitivePorts.includes(port);
  const portEvidence: Evidence[] = port === undefined ? [] : [{ kind: 'PORT', excerpt: String(port) }];
  const noTranscript = 'no transcript by design: port-forwarding sessions are never logged';
  switch (ev.kind) {
    case 'port-forward-remote': {
      const host = ev.host ?? 'an unnamed host';
      const reasons = [
        `port forwarding through ${ev.target ?? 'the target'} to ${host}:${port ?? '?'}`,
        noTranscript,
      ];
      if (sensitive) reasons.push(`port ${port} is a sensitive port`);
      const evidence: Evidence[] = ev.host
        ? [{ kind: 'HOST', excerpt: ev.host }, ...portEvidence]
        : portEvidence;
      return { ruleId: 'session-port-forward-remote-host', reasons, evidence };
    }
    case 'port-forward-local': {
      const reasons = [`port forwarding to port ${port ?? '(default)'} on the target`, noTranscript];
      if (sensitive) reasons.push(`port ${port} is a sensitive port`);
      const ruleId = sensitive ? 'session-port-forward-sensitive-port' : 'session-port-forward-local';
      return { ruleId, reasons, evidence: portEvidence };
    }
    case 'ssh':
      return {
        ruleId: 'session-ssh-tunnel',
        reasons: ['SSH over Session Manager', 'no transcript by design: SSH sessions are never logged'],
        evidence: portEvidence,
      };
    case 'interactive-command':
    case 'non-interactive-command':
      return {
        ruleId: 'session-start-command',
        reasons: [`command session (${ev.documentName})`],
        evidence: [],
      };
    case 'custom':
      return {
        ruleId: 'session-start-custom-document',
        reasons: [
          `custom session document ${ev.documentName}: what it runs and whether it is logged depend on it`,
        ],
        evidence: [{ kind: 'DOCUMENT', excerpt: ev.documentName ?? '' }],
      };
    default:
      return { ruleId: 'session-start-shell', reasons: ['interactive shell session'], evidence: [] };
  }
}

function privilegedHit(ev: SessionEvent): Hit | undefined {
  const p = ev.principal;
  if (p.root)
    return { ruleId: 'session-root-principal', reasons: ['called by the account root user'], evidence: [] };
  if (p.type === 'IAMUser' && p.longTermKey && p.mfa !== true) {
    return {
      ruleId: 'session-long-term-key-no-mfa',
      reasons: [`IAM user ${p.name ?? p.arn} signed with a long-term access key (AKIA…) without MFA`],
      evidence: [],
    };
  }
  return undefined;
}

function kindLabel(kind: SessionKind): string {
  return kind === 'ssh' ? 'SSH session' : 'port forwarding';
}

async function productionTag(target: string | undefined, ctx: ClassifyContext): Promise<string | undefined> {
  if (!target) return undefined;
  let tags: Record<string, string> | undefined;
  try {
    tags = await ctx.tags.tags(target);
  } catch {
    // The contract says tag sources never throw; an adapter that does still must not cost the finding.
    return undefined;
  }
  if (!tags) return undefined;
  const wanted = compiled(ctx.config).production;
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string') continue;
    if (wanted.get(key.toLowerCase())?.has(value.trim().toLowerCase()))
      return redactField(`${key}=${value}`, 120);
  }
  return undefined;
}

function untrustedNetwork(ev: SessionEvent, config: Config): Signal | undefined {
  const ip = ev.sourceIp;
  if (!ip || ev.sourceIsService || ev.principal.service) return undefined;
  const trusted = compiled(config).trusted;
  if (trusted.empty) return undefined;
  // Not an address (a hostname of some other caller): nothing to compare.
  if (trusted.contains(ip) !== false) return undefined;
  return { reason: `source IP ${ip} is outside trustedCidrs`, evidence: { kind: 'SOURCE_IP', excerpt: ip } };
}

function offHours(ev: SessionEvent, config: Config): Signal | undefined {
  const hours = config.businessHours;
  if (!hours) return undefined;
  const r = isOffHours(ev.time, hours);
  if (!r?.off) return undefined;
  const local = `${r.day} ${r.hhmm} ${hours.timezone}`;
  return {
    reason: `outside business hours: ${local} (${hours.days.join(',')} ${hours.start}–${hours.end})`,
    evidence: { kind: 'LOCAL_TIME', excerpt: local },
  };
}

interface Compiled {
  trusted: CidrMatcher;
  production: Map<string, Set<string>>;
}
const compiledByConfig = new WeakMap<Config, Compiled>();

/** Per-config lookups built once: configs are long-lived, events many. */
function compiled(config: Config): Compiled {
  let c = compiledByConfig.get(config);
  if (!c) {
    const production = new Map<string, Set<string>>();
    for (const [k, values] of Object.entries(config.productionTags)) {
      const set = production.get(k.toLowerCase()) ?? new Set<string>();
      for (const v of values) set.add(v.toLowerCase());
      production.set(k.toLowerCase(), set);
    }
    c = { trusted: new CidrMatcher(config.trustedCidrs), production };
    compiledByConfig.set(config, c);
  }
  return c;
}

function sameIp(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function severityOf(ruleId: string, config: Config): Severity {
  return config.severityOverrides[ruleId] ?? SESSION_RULES_BY_ID.get(ruleId)?.severity ?? 'MEDIUM';
}

function evidenceOf(s: Signal): Evidence[] {
  return s.evidence ? [s.evidence] : [];
}

function finding(
  ruleId: string,
  ev: SessionEvent,
  config: Config,
  extra: { severity?: Severity; reasons: string[]; evidence: Evidence[]; count?: number },
): Finding {
  const rule = SESSION_RULES_BY_ID.get(ruleId);
  const p = ev.principal;
  const f: Finding = {
    id: stableId(ev.eventKey, ruleId),
    ruleId,
    category: rule?.category ?? 'session-start',
    severity: extra.severity ?? severityOf(ruleId, config),
    title: rule?.title ?? ruleId,
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
