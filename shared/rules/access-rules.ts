import { hashedTargets, isAccess, STREAMED } from '../session/access';
import { COMMAND_ROUTE, RDP_ROUTE, SESSION_ROUTE } from '../session/apis';
import type { CloudTrailRule, SessionEvent } from '../session/types';

/**
 * Rules across sessions and commands: Fleet Manager remote desktop (a session kind of its own), one
 * principal fanning out over many targets, a principal not seen for a long time, and an interactive
 * session whose transcript never arrives. Fan-out and first seen need state (classify.ts asks for it);
 * the missing transcript is judged by a timer (the transcript sweep, or the end of a replay).
 * Examples: `examples/<id>.json`.
 */

const ATTACK = 'https://attack.mitre.org/techniques/';
const ACCESS_ROUTES = [SESSION_ROUTE, COMMAND_ROUTE, RDP_ROUTE];
const DAY_MS = 86_400_000;

function who(ev: SessionEvent): string {
  const p = ev.principal;
  if (p.root) return 'the root user';
  if (p.type === 'AssumedRole' && p.roleName)
    return p.sso ? `${p.name ?? p.arn} (${p.roleName})` : `role ${p.roleName}`;
  return p.name ?? p.arn;
}

export const ACCESS_RULES: readonly CloudTrailRule[] = [
  {
    id: 'session-remote-desktop',
    category: 'session-start',
    severity: 'LOW',
    title: 'Fleet Manager remote desktop connection started',
    description:
      'GUI Connect (ssm-guiconnect StartConnection) opened a remote desktop (RDP) connection to a Windows instance. No transcript by design: only connection recording, when configured, shows what was done.',
    playbook: [
      'Check whether connection recording is on (GUI Connect recording preferences) and review the recording.',
      'Confirm with the principal that the connection was intended.',
    ],
    references: [
      'https://docs.aws.amazon.com/systems-manager/latest/userguide/fleet-manager-remote-desktop-connections.html',
      `${ATTACK}T1021/001/`,
    ],
    role: 'kind',
    routes: [RDP_ROUTE],
    match: (ev) =>
      ev.action === 'start' && ev.kind === 'rdp' && ev.errorCode === undefined
        ? {
            reasons: [
              `remote desktop connection to ${ev.target ?? 'an instance'}`,
              'no transcript by design: remote desktop sessions are not logged as text',
            ],
            evidence: [],
          }
        : undefined,
    examples: {
      match: ['AWS documentation StartConnection'],
      noMatch: ['StartConnection denied', 'shell session is not remote desktop'],
    },
  },
  {
    id: 'principal-fan-out',
    category: 'lateral-movement',
    severity: 'MEDIUM',
    title: 'One principal reached many targets within minutes',
    description:
      'One principal (account and user or role name) started sessions, remote desktops or commands on fanOut.targets distinct targets (instances or tag selectors) within fanOut.windowMinutes. Once per window. Typical of lateral movement and of stolen credentials exploring a fleet.',
    playbook: [
      'List the principal’s sessions and commands in the window (the other findings of the same principal).',
      'Confirm the activity with the principal; automation accounts should be listed and expected.',
      'If unexpected, revoke the principal’s sessions and terminate the open sessions.',
    ],
    references: [`${ATTACK}T1021/007/`, `${ATTACK}T1570/`],
    role: 'fan-out',
    routes: ACCESS_ROUTES,
    match: (ev, facts, config) => {
      if (!isAccess(ev) || facts.fanOutTargets === undefined) return undefined;
      const before = facts.fanOutTargets;
      const n = config.fanOut.targets;
      if (before.size >= n) return undefined;
      let reached = before.size;
      for (const t of hashedTargets(ev)) if (!before.has(t)) reached++;
      if (reached < n) return undefined;
      return {
        reasons: [
          `${who(ev)} reached ${reached} distinct targets within ${config.fanOut.windowMinutes} min (threshold ${n})`,
        ],
        evidence: [{ kind: 'TARGETS', excerpt: ev.target ?? '', count: reached }],
        count: reached,
      };
    },
    examples: {
      match: [
        'third instance within two minutes',
        'one command on three instances',
        'sessions of one role under different session names count together',
      ],
      noMatch: [
        'the same instance three times',
        'three instances over an hour',
        'role sessions of different roles',
        'SSO users of one permission set are different principals',
        'fourth target in the same window does not alert again',
      ],
    },
  },
  {
    id: 'principal-first-seen',
    category: 'first-seen',
    severity: 'LOW',
    title: 'Principal not seen using Session Manager or Run Command recently',
    description:
      'The principal (account and user or role name) has not started a session or command in this account for firstSeen.days. New people, new automation, or credentials used by someone else. Its reason is added to the other findings of the same call. Quiet while learning: only after firstSeen.days of observation (of the deployment, or of a replayed archive).',
    playbook: [
      'Check that the principal is a known person or automation and is expected to use Session Manager.',
      'For an unknown principal: review how it got its credentials (CreateUser, AssumeRole, federation) and what else it did.',
    ],
    references: [`${ATTACK}T1078/004/`],
    role: 'first-seen',
    routes: ACCESS_ROUTES,
    match: (ev, facts, config) => {
      if (!isAccess(ev) || facts.seen === undefined) return undefined;
      const timeMs = Date.parse(ev.time);
      const { lastMs: last, sinceMs: since } = facts.seen;
      const days = config.firstSeen.days;
      // Learning: "not seen for N days" needs N days observed (a new deployment, the start of a replay).
      if (since === undefined || timeMs - since < days * DAY_MS) return undefined;
      if (last !== undefined && (last >= timeMs || timeMs - last <= days * DAY_MS)) return undefined;
      const when =
        last === undefined
          ? 'no earlier session or command known'
          : `last seen ${new Date(last).toISOString()}`;
      return {
        reasons: [`first session or command by ${who(ev)} in ${days} days (${when})`],
        evidence: [],
      };
    },
    examples: {
      match: ['never seen before', 'last seen 45 days ago', 'first command by a principal'],
      noMatch: [
        'seen yesterday',
        'baseline unknown',
        'never seen, but the baseline began this week (learning)',
      ],
    },
  },
  {
    id: 'session-missing-transcript',
    category: 'missing-transcript',
    severity: 'MEDIUM',
    title: 'Interactive session without a transcript',
    description:
      'A shell session produced no transcript within missingTranscript.minutes while transcripts of its account and Region are streamed to the monitor: logging is broken for this instance, the agent stopped, or someone evades logging. Port forwarding, SSH and remote desktop never count (no transcript by design).',
    playbook: [
      'Check the session preferences used (document name) and the instance agent logs (/var/log/amazon/ssm/).',
      'Check the instance role can write to the session log group (logs:PutLogEvents, KMS key access).',
      'Treat the session as unlogged: ask the principal what was done; review the target.',
    ],
    references: [
      'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-logging.html',
      `${ATTACK}T1562/008/`,
    ],
    role: 'silence',
    routes: [SESSION_ROUTE],
    match: (ev, facts, config) => {
      const s = facts.silence;
      if (!s || s.transcriptSeen || !s.streamingExpected || ev.action !== 'start') return undefined;
      if (ev.kind === undefined || !STREAMED.includes(ev.kind)) return undefined;
      const reasons = [
        `no transcript ${config.missingTranscript.minutes} min after the session started (${ev.time})`,
        'other sessions of this account and Region are streamed: logging was expected',
      ];
      if (s.endedAt) reasons.push(`the session ended at ${s.endedAt}`);
      return { reasons, evidence: ev.target ? [{ kind: 'TARGET', excerpt: ev.target }] : [] };
    },
    examples: {
      match: ['shell session silent for 10 minutes', 'ended session without transcript'],
      noMatch: [
        'transcript arrived',
        'port forwarding has no transcript by design',
        'no streaming seen in this account and Region',
      ],
    },
  },
];
