import { redactField } from '../format/redact';
import { stableId } from '../ids';
import type { Config } from '../model/config';
import type { Evidence } from '../model/finding';
import { isAccess } from '../session/access';
import { COMMAND_ROUTE, PREFERENCES_ROUTE, RDP_ROUTE, SESSION_ROUTE } from '../session/apis';
import { isOffHours } from '../session/hours';
import { CidrMatcher } from '../session/network';
import type { CloudTrailRule, Facts, Hit, SessionEvent, SessionKind } from '../session/types';
import { ACCESS_RULES } from './access-rules';
import { DOCUMENT_RULES } from './document-rules';
import { MONITOR_RULES } from './monitor-rules';
import { PREFERENCES_RULES } from './preferences-rules';
import { RUN_COMMAND_RULES } from './run-command-rules';

/**
 * The session family: rules over StartSession / ResumeSession / TerminateSession (and denied session
 * calls), each with its matcher; classify.ts composes the hits (see `RuleRole`). Each StartSession
 * yields one primary finding (privileged principal, else its kind) raised one step per context
 * signal, at most two and never to CRITICAL (policy.ts); context rules also emit their own finding
 * at their own severity so every category stays
 * queryable. Examples: `examples/<id>.json`, by the names listed here.
 */

const SSM_AUDIT =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-auditing.html';
const PORT_FWD =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-sessions-start.html';
const ATTACK = 'https://attack.mitre.org/techniques/';
const TUNNELING = `${ATTACK}T1572/`;
const CLOUD_ACCOUNTS = `${ATTACK}T1078/004/`;
const CONFIRM_WITH_OWNER = 'Confirm with the principal (or their manager) that the session was intended.';
const CHECK_ACTIVE =
  'Check whether the session is still active (Session Manager › Session history, or DescribeSessions) and terminate it if unexpected.';
const NO_TRANSCRIPT = 'no transcript by design: port-forwarding sessions are never logged';

/** A successful StartSession: what the kind, principal and start-only signals look at. */
function isStart(ev: SessionEvent): boolean {
  return ev.action === 'start' && ev.errorCode === undefined;
}

/** A successful session start or resume, command or automation: the network and time signals look at all. */
function isSessionCall(ev: SessionEvent): boolean {
  return (
    (ev.action === 'start' ||
      ev.action === 'resume' ||
      ev.action === 'send-command' ||
      ev.action === 'automation') &&
    ev.errorCode === undefined
  );
}

/** Where sessions and commands are routed from: lifecycle, Run Command, remote desktop. */
const ACCESS_ROUTES = [SESSION_ROUTE, COMMAND_ROUTE, RDP_ROUTE];

function startOf(kinds: readonly SessionKind[], ev: SessionEvent): boolean {
  return isStart(ev) && ev.kind !== undefined && kinds.includes(ev.kind);
}

function portEvidence(ev: SessionEvent): Evidence[] {
  return ev.port === undefined ? [] : [{ kind: 'PORT', excerpt: String(ev.port) }];
}

function isSensitive(ev: SessionEvent, config: Config): boolean {
  return ev.port !== undefined && config.sensitivePorts.includes(ev.port);
}

/** Kinds with a rule of their own; every other start (the default document included) is a shell. */
const NOT_SHELL: readonly SessionKind[] = [
  'port-forward-local',
  'port-forward-remote',
  'ssh',
  'interactive-command',
  'non-interactive-command',
  'custom',
  'rdp',
];

function localForward(ev: SessionEvent, config: Config): Hit {
  const reasons = [`port forwarding to port ${ev.port ?? '(default)'} on the target`, NO_TRANSCRIPT];
  if (isSensitive(ev, config)) reasons.push(`port ${ev.port} is a sensitive port`);
  return { reasons, evidence: portEvidence(ev) };
}

const DENIED = /^(?:Client\.)?(?:AccessDenied|UnauthorizedOperation)/i;
/** Denied calls of one principal counted exactly within a window; more read as this many. */
const DENIED_COUNT_LIMIT = 1000;

/** Window key and event id of a denied call: hashed, so window items hold no ARN or event id. */
export function deniedWindow(
  ev: SessionEvent,
  config: Config,
): { key: string; eventId: string; timeMs: number; windowMs: number; limit: number } | undefined {
  if (ev.errorCode === undefined || ev.action === 'monitor-tampering' || !DENIED.test(ev.errorCode))
    return undefined;
  return {
    key: `access-denied#${stableId(ev.principal.arn)}`,
    eventId: stableId(ev.eventKey),
    timeMs: Date.parse(ev.time),
    windowMs: config.accessDenied.windowMinutes * 60_000,
    // Counted exactly up to here (reasons name the number), bounded on hostile input.
    limit: Math.max(config.accessDenied.burstThreshold, DENIED_COUNT_LIMIT),
  };
}

/** The denied call and, at or past the threshold, the burst it completes (this call counted). */
function denied(ev: SessionEvent, facts: Facts, config: Config, burst: boolean): Hit | undefined {
  if (!deniedWindow(ev, config)) return undefined;
  const { windowMinutes, burstThreshold } = config.accessDenied;
  const count = (facts.windowCount ?? 0) + 1;
  if (count >= burstThreshold !== burst) return undefined;
  const code = ev.errorCode ?? '';
  const what =
    ev.action === 'preferences-change'
      ? `${ev.eventName} of ${ev.resourceName ?? 'a document'}`
      : ev.eventName;
  const reasons = [`${what} denied (${code})`];
  if (ev.target) reasons.push(`target ${ev.target}`);
  if (burst)
    reasons.push(`${count} denied Session Manager calls by this principal within ${windowMinutes} min`);
  return { reasons, evidence: [{ kind: 'ERROR_CODE', excerpt: code }], ...(burst ? { count } : {}) };
}

/** The `key=value` of the first tag marking a production target, display-safe. */
export function productionTag(tags: Record<string, string> | undefined, config: Config): string | undefined {
  if (!tags) return undefined;
  const wanted = compiled(config).production;
  for (const [key, value] of Object.entries(tags)) {
    if (typeof value !== 'string') continue;
    if (wanted.get(key.toLowerCase())?.has(value.trim().toLowerCase()))
      return redactField(`${key}=${value}`, 120);
  }
  return undefined;
}

/** A production tag of one of a command's instances, or a tag selector naming one (`tag:Environment=prod`). */
function commandProductionTag(ev: SessionEvent, facts: Facts, config: Config): string | undefined {
  for (const tags of facts.targetTags ?? []) {
    const tag = productionTag(tags, config);
    if (tag) return tag;
  }
  for (const selector of ev.command?.selectors ?? []) {
    if (!selector.toLowerCase().startsWith('tag:')) continue;
    const eq = selector.indexOf('=');
    if (eq < 0) continue;
    const key = selector.slice(4, eq);
    for (const value of selector.slice(eq + 1).split(',')) {
      const tag = productionTag({ [key]: value }, config);
      if (tag) return tag;
    }
  }
  return undefined;
}

const LIFECYCLE_RULES: readonly CloudTrailRule[] = [
  {
    id: 'session-start-shell',
    category: 'session-start',
    severity: 'INFORMATIONAL',
    title: 'Interactive shell session started',
    description:
      'A Session Manager shell session (default SSM-SessionManagerRunShell) was started. Informational on its own; production target, untrusted network, off-hours, missing reason or missing MFA raise it one step each, at most two steps (shared/rules/policy.ts).',
    playbook: [
      'Read the reasons: each one raised the severity by a step.',
      'Review the session transcript findings for the same session id.',
      CONFIRM_WITH_OWNER,
    ],
    references: [SSM_AUDIT, `${ATTACK}T1021/007/`],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev) =>
      isStart(ev) && !(ev.kind !== undefined && NOT_SHELL.includes(ev.kind))
        ? { reasons: ['interactive shell session'], evidence: [] }
        : undefined,
    examples: {
      match: [
        'default shell (no documentName) from the attacker scenario',
        'SSO shell with Panther time format',
        'explicit SSM-SessionManagerRunShell is still a shell',
      ],
      noMatch: ['SSH session is not a plain shell', 'terminate gives no start finding'],
    },
  },
  {
    id: 'session-start-command',
    category: 'session-start',
    severity: 'INFORMATIONAL',
    title: 'Command session started',
    description:
      'A session ran a command through AWS-StartInteractiveCommand or AWS-StartNonInteractiveCommand. Its output is logged like a shell.',
    playbook: [
      'Look up the command in the document parameters (requestParameters.parameters.command) in CloudTrail.',
      CONFIRM_WITH_OWNER,
    ],
    references: [SSM_AUDIT, `${ATTACK}T1651/`],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev) =>
      startOf(['interactive-command', 'non-interactive-command'], ev)
        ? { reasons: [`command session (${ev.documentName})`], evidence: [] }
        : undefined,
    examples: {
      match: ['interactive command', 'non-interactive command'],
      noMatch: ['plain shell is not a command session'],
    },
  },
  {
    id: 'session-start-custom-document',
    category: 'session-start',
    severity: 'LOW',
    title: 'Session started with a custom document',
    description:
      'A session used a document that is not one of the AWS session documents. What runs, and whether it is logged, depends on that document (it may forward ports or override logging).',
    playbook: [
      'Open the document (SSM › Documents) and check its sessionType and inputs.',
      'Verify who may use and change the document.',
      CONFIRM_WITH_OWNER,
    ],
    references: [PORT_FWD],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev) =>
      startOf(['custom'], ev)
        ? {
            reasons: [
              `custom session document ${ev.documentName}: what it runs and whether it is logged depend on it`,
            ],
            evidence: [{ kind: 'DOCUMENT', excerpt: ev.documentName ?? '' }],
          }
        : undefined,
    examples: {
      match: ['custom document by name', 'custom document given as ARN'],
      noMatch: ['AWS port forwarding document is not custom'],
    },
  },
  {
    id: 'session-port-forward-local',
    category: 'port-forwarding',
    severity: 'MEDIUM',
    title: 'Port forwarding session to the target',
    description:
      'AWS-StartPortForwardingSession opened a tunnel to a port on the target. Port-forwarding sessions have no transcript by design: nothing sent through the tunnel is logged.',
    playbook: [
      'Identify the service on the forwarded port of the target.',
      'Check the service own access logs for the session period: Session Manager logged nothing.',
      CONFIRM_WITH_OWNER,
    ],
    references: [PORT_FWD, TUNNELING],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev, _facts, config) =>
      startOf(['port-forward-local'], ev) && !isSensitive(ev, config) ? localForward(ev, config) : undefined,
    examples: {
      match: ['port forward to 8080', 'parameter values given as bare strings are tolerated'],
      noMatch: [
        'sensitive port goes to the sensitive-port rule',
        'remote host forward is not a local forward',
      ],
    },
  },
  {
    id: 'session-port-forward-sensitive-port',
    category: 'port-forwarding',
    severity: 'HIGH',
    title: 'Port forwarding to a sensitive port',
    description:
      'A port-forwarding session reached a port listed in sensitivePorts (databases, RDP, SSH, caches). No transcript by design: data moved through the tunnel is invisible to Session Manager logging.',
    playbook: [
      'Check the database / service audit log for queries and logins during the session.',
      'Verify the principal is allowed direct access to that service.',
      CHECK_ACTIVE,
    ],
    references: [PORT_FWD, TUNNELING],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev, _facts, config) =>
      startOf(['port-forward-local'], ev) && isSensitive(ev, config) ? localForward(ev, config) : undefined,
    examples: {
      match: ['PostgreSQL port', 'configured sensitive port'],
      noMatch: ['8080 is not sensitive by default', '5432 no longer sensitive when config says so'],
    },
  },
  {
    id: 'session-port-forward-remote-host',
    category: 'port-forwarding',
    severity: 'HIGH',
    title: 'Port forwarding through the target to a remote host',
    description:
      'AWS-StartPortForwardingSessionToRemoteHost used the target as a jump host to another host (often a database or internal endpoint). No transcript by design, and the remote host never sees the principal.',
    playbook: [
      'Identify the remote host and port (evidence HOST / PORT) and who owns them.',
      'Check the remote service access logs: the connection appears to come from the target instance.',
      CHECK_ACTIVE,
    ],
    references: [PORT_FWD, TUNNELING],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev, _facts, config) => {
      if (!startOf(['port-forward-remote'], ev)) return undefined;
      const reasons = [
        `port forwarding through ${ev.target ?? 'the target'} to ${ev.host ?? 'an unnamed host'}:${ev.port ?? '?'}`,
        NO_TRANSCRIPT,
      ];
      if (isSensitive(ev, config)) reasons.push(`port ${ev.port} is a sensitive port`);
      const evidence: Evidence[] = ev.host
        ? [{ kind: 'HOST', excerpt: ev.host }, ...portEvidence(ev)]
        : portEvidence(ev);
      return { reasons, evidence };
    },
    examples: {
      match: ['to an RDS endpoint', 'document given as ARN'],
      noMatch: ['local forward is not remote', 'denied remote forward gives no port-forward finding'],
    },
  },
  {
    id: 'session-ssh-tunnel',
    category: 'ssh-tunnel',
    severity: 'MEDIUM',
    title: 'SSH over Session Manager',
    description:
      'AWS-StartSSHSession carried an SSH connection. SSH sessions are never logged by Session Manager (encrypted end to end) and allow scp and further tunnels.',
    playbook: [
      'Check the instance auth log (/var/log/secure or auth.log) for the SSH login and the key used.',
      'Ask why a logged shell session was not enough.',
      CHECK_ACTIVE,
    ],
    references: [PORT_FWD, TUNNELING],
    role: 'kind',
    routes: [SESSION_ROUTE],
    match: (ev) =>
      startOf(['ssh'], ev)
        ? {
            reasons: ['SSH over Session Manager', 'no transcript by design: SSH sessions are never logged'],
            evidence: portEvidence(ev),
          }
        : undefined,
    examples: {
      match: ['AWS-StartSSHSession', 'SSH without parameters'],
      noMatch: ['port forward to 22 is a port forward, not SSH document'],
    },
  },
  {
    id: 'session-root-principal',
    category: 'privileged-principal',
    severity: 'CRITICAL',
    title: 'Account root user used Session Manager or Run Command',
    description:
      'The root user started, resumed or terminated a session, opened a remote desktop, or ran a command or automation. Root should never be used for day-to-day access; it bypasses every IAM boundary.',
    playbook: [
      'Confirm immediately with the account owner that root was used on purpose (break-glass).',
      'Review root sign-in events (ConsoleLogin) and root access keys; rotate root credentials if unexpected.',
      CHECK_ACTIVE,
    ],
    references: [
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html',
      CLOUD_ACCOUNTS,
    ],
    role: 'principal',
    // An act: root at the keyboard of an instance. The only session rule that may end a session.
    terminable: true,
    routes: ACCESS_ROUTES,
    match: (ev) =>
      ev.principal.root &&
      ev.errorCode === undefined &&
      (isAccess(ev) || ev.action === 'resume' || ev.action === 'terminate')
        ? { reasons: [`${ev.eventName} called by the account root user`], evidence: [] }
        : undefined,
    examples: {
      match: [
        'root user from the console',
        'root with a port forward keeps the port-forward finding',
        'root terminates a session',
        'root sends a command',
      ],
      noMatch: ['IAM user is not root', 'assumed role is not root', 'root describes sessions'],
    },
  },
  {
    id: 'session-long-term-key-no-mfa',
    category: 'privileged-principal',
    severity: 'HIGH',
    title: 'Session or command with a long-term access key without MFA',
    description:
      'An IAM user started a session or ran a command with a long-term access key (an IAM user without session context, or an AKIA… key id) and no MFA. A leaked key alone is enough to reach the instance.',
    playbook: [
      'Check where the access key was used recently (IAM › Access key last used, CloudTrail by accessKeyId).',
      'Deactivate and rotate the key if the use is unexpected; move the user to SSO / role sessions with MFA.',
      CHECK_ACTIVE,
    ],
    references: [
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html',
      CLOUD_ACCOUNTS,
    ],
    role: 'principal',
    routes: ACCESS_ROUTES,
    match: (ev) => {
      const p = ev.principal;
      if (!isAccess(ev) || p.type !== 'IAMUser' || !p.longTermKey || p.mfa === true) return undefined;
      return {
        reasons: [`IAM user ${p.name ?? p.arn} signed with a long-term access key without MFA`],
        evidence: [],
      };
    },
    examples: {
      match: [
        'stratus IAM user with AKIA key',
        'IAM user with AKIA key and mfaAuthenticated "false"',
        'IAM user without session context, key id sanitised (ACCESSKEYID)',
      ],
      noMatch: [
        'IAM user session credentials with MFA',
        'assumed role carrying an AKIA-looking key id (AWS docs sample) is not an IAM user',
        'IAM user with an ASIA key and session context is not a long-term key',
      ],
    },
  },
  {
    id: 'session-access-denied',
    category: 'access-denied',
    severity: 'MEDIUM',
    title: 'Denied Session Manager call',
    description:
      'A Session Manager API call (start, resume, terminate, describe, preferences change) failed with AccessDenied or UnauthorizedOperation: someone tried to reach an instance or change session settings without permission.',
    playbook: [
      'Check whether the principal should have access (misconfiguration) or is probing.',
      'Look for other denied calls by the same principal across services.',
    ],
    role: 'denied',
    routes: [SESSION_ROUTE, COMMAND_ROUTE, PREFERENCES_ROUTE],
    match: (ev, facts, config) => denied(ev, facts, config, false),
    examples: {
      match: [
        'denied StartSession',
        'UnauthorizedOperation on TerminateSession',
        'denied preferences update',
      ],
      noMatch: ['target not connected is not a denial', 'denied call of an unrelated API'],
    },
  },
  {
    id: 'session-access-denied-burst',
    category: 'access-denied',
    severity: 'HIGH',
    title: 'Burst of denied Session Manager calls',
    description:
      'One principal collected accessDenied.burstThreshold denied Session Manager calls within accessDenied.windowMinutes: typical of credential misuse or target enumeration.',
    playbook: [
      'List the denied targets and calls of the principal in the window.',
      'If the credentials may be compromised, revoke the sessions of the role / deactivate the key.',
    ],
    references: [CLOUD_ACCOUNTS],
    role: 'denied',
    routes: [SESSION_ROUTE, COMMAND_ROUTE, PREFERENCES_ROUTE],
    match: (ev, facts, config) => denied(ev, facts, config, true),
    examples: {
      match: ['fifth denial within 10 minutes', 'lower threshold'],
      noMatch: ['denials spread over hours are no burst', 'the same event delivered twice counts once'],
    },
  },
  {
    id: 'session-production-target',
    category: 'production-target',
    severity: 'LOW',
    title: 'Session or command on a production target',
    description:
      'The target (or, for Run Command, one of the instances or a tag selector) carries a tag listed in productionTags (values compared case-insensitively). Raises the session or command finding one step.',
    playbook: ['Check the change record or ticket for production access.', CONFIRM_WITH_OWNER],
    role: 'signal',
    routes: ACCESS_ROUTES,
    match: (ev, facts, config) => {
      if (!isAccess(ev)) return undefined;
      const tag = ev.command ? commandProductionTag(ev, facts, config) : productionTag(facts.tags, config);
      return tag ? { reasons: [`production target (tag ${tag})`], evidence: [] } : undefined;
    },
    examples: {
      match: [
        'Environment=PROD (case-insensitive)',
        'custom production tag key',
        'command on a tagged production instance',
        'command by tag selector Environment=prod',
      ],
      noMatch: ['staging target', 'tags unknown', 'command on staging instances'],
    },
  },
  {
    id: 'session-untrusted-network',
    category: 'untrusted-network',
    severity: 'MEDIUM',
    title: 'Session call from an untrusted network',
    description:
      'The source IP address (IPv4 or IPv6) is outside every trustedCidrs range (checked only when trustedCidrs is set). AWS service callers (*.amazonaws.com, AWS Internal) are not network addresses and are skipped.',
    playbook: [
      'Look up the source IP (owner, geolocation) and compare with where the principal usually works.',
      'If unexpected, treat the credentials as compromised.',
      CHECK_ACTIVE,
    ],
    role: 'signal',
    routes: ACCESS_ROUTES,
    match: (ev, _facts, config) => {
      const ip = ev.sourceIp;
      if (!isSessionCall(ev) || !ip || ev.sourceIsService || ev.principal.service) return undefined;
      const trusted = compiled(config).trusted;
      // Empty: not checked. Not an address (a hostname of some other caller): nothing to compare.
      if (trusted.empty || trusted.contains(ip) !== false) return undefined;
      return {
        reasons: [`source IP ${ip} is outside trustedCidrs`],
        evidence: [{ kind: 'SOURCE_IP', excerpt: ip }],
      };
    },
    examples: {
      match: ['IPv4 outside trustedCidrs', 'IPv6 outside trustedCidrs'],
      noMatch: [
        'IPv4 inside trustedCidrs',
        'IPv6 inside trustedCidrs',
        'IPv4-mapped IPv6 inside an IPv4 range',
        'AWS service caller',
        'AWS Internal',
        'no trustedCidrs configured',
      ],
    },
  },
  {
    id: 'session-off-hours',
    category: 'off-hours',
    severity: 'LOW',
    title: 'Session outside business hours',
    description:
      'The session started outside businessHours (days and start–end in its IANA time zone). Off when businessHours is null.',
    playbook: ['Check on-call or incident records for the time.', CONFIRM_WITH_OWNER],
    role: 'signal',
    routes: ACCESS_ROUTES,
    match: (ev, _facts, config) => {
      const hours = config.businessHours;
      if (!isSessionCall(ev) || !hours) return undefined;
      const r = isOffHours(ev.time, hours);
      if (!r?.off) return undefined;
      const local = `${r.day} ${r.hhmm} ${hours.timezone}`;
      return {
        reasons: [`outside business hours: ${local} (${hours.days.join(',')} ${hours.start}–${hours.end})`],
        evidence: [{ kind: 'LOCAL_TIME', excerpt: local }],
      };
    },
    examples: {
      match: ['Sunday night in Berlin', 'weekday 19:30 Berlin (summer time)'],
      noMatch: [
        'Wednesday 10:00 Berlin',
        'weekday 18:30 Berlin in summer is business hours',
        'businessHours null switches the rule off',
      ],
    },
  },
  {
    id: 'session-missing-reason',
    category: 'missing-reason',
    severity: 'MEDIUM',
    title: 'Production session without a reason',
    description:
      'A session to a production target gave no reason although requireReasonOnProduction is on (StartSession accepts a reason of 1–256 characters).',
    playbook: [
      'Ask the principal for the reason and record it.',
      'Remind the team to pass --reason for production.',
    ],
    role: 'signal',
    routes: [SESSION_ROUTE],
    match: (ev, facts, config) =>
      isStart(ev) && config.requireReasonOnProduction && !ev.reason && productionTag(facts.tags, config)
        ? { reasons: ['no reason given for a production target'], evidence: [] }
        : undefined,
    examples: {
      match: ['production, no reason, reason required', 'blank reason counts as none'],
      noMatch: ['reason given', 'reason not required', 'not production'],
    },
  },
  {
    id: 'session-resumed-new-ip',
    category: 'session-resumed',
    severity: 'MEDIUM',
    title: 'Session resumed from a different IP address',
    description:
      'ResumeSession came from another source IP than the StartSession of the same session. A network change explains it; so does a stolen session token.',
    playbook: [
      'Compare the two source IPs (owner, location) and the user agents.',
      'If the new address is unexpected, terminate the session and revoke the principal sessions.',
    ],
    references: [`${ATTACK}T1550/001/`],
    role: 'resume',
    routes: [SESSION_ROUTE],
    match: (ev, facts) => {
      if (ev.action !== 'resume' || ev.errorCode !== undefined) return undefined;
      // Stored members were redacted when written; redacting again keeps older items safe too (idempotent).
      const before = redactField(facts.session?.sourceIp, 128);
      const now = ev.sourceIp;
      if (before === undefined || now === undefined || ev.sourceIsService) return undefined;
      if (before.toLowerCase() === now.toLowerCase()) return undefined;
      return {
        reasons: [`resumed from ${now}, started from ${before}`],
        evidence: [
          { kind: 'SOURCE_IP', excerpt: now },
          { kind: 'START_SOURCE_IP', excerpt: before },
        ],
      };
    },
    examples: {
      match: ['resumed from another address'],
      noMatch: ['resumed from the same address', 'start unknown'],
    },
  },
];

/**
 * The session family: the lifecycle rules above, then Run Command, documents and the rules across
 * sessions (remote desktop, fan-out, first seen, missing transcript), each in its own file.
 */
export const SESSION_FAMILY_RULES: readonly CloudTrailRule[] = [
  ...LIFECYCLE_RULES,
  ...RUN_COMMAND_RULES,
  ...DOCUMENT_RULES,
  ...ACCESS_RULES,
];

/** Every CloudTrail rule (session, preferences, monitor families), in catalogue order. */
export const SESSION_RULES: readonly CloudTrailRule[] = [
  ...SESSION_FAMILY_RULES,
  ...PREFERENCES_RULES,
  ...MONITOR_RULES,
];

export const SESSION_RULES_BY_ID: ReadonlyMap<string, CloudTrailRule> = new Map(
  SESSION_RULES.map((r) => [r.id, r]),
);

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
