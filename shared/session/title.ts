/**
 * The title of a session start, command or resume that names why it matters, e.g. "Shell session on
 * production target i-0abc… from an untrusted network at Sun 03:00 Europe/Berlin, no reason given".
 * Built from structured facts (which rules hit, the target, the local time), never from reason
 * strings: a reason may quote user-supplied text (a session reason, a host) or an IP address, and a
 * title travels further (SNS subjects, Slack, Security Hub). Pure; every value shown is checked
 * against a fixed shape, anything else is left out.
 */

/** Why a finding matters, strongest first in {@link RANK}. */
export type TitleReason =
  | { kind: 'root' }
  | { kind: 'long-term-key' }
  | { kind: 'production'; target?: string }
  | { kind: 'untrusted-network' }
  | { kind: 'off-hours'; day?: string; hhmm?: string; timezone?: string }
  | { kind: 'missing-reason' }
  | { kind: 'no-mfa' }
  | { kind: 'instance-credentials' }
  | { kind: 'unlogged' }
  | { kind: 'first-seen'; days?: number };

export interface TitleParts {
  /** The kind (or resume) rule the finding is about: picks the subject. */
  ruleId: string;
  /** Forwarded port, for the port-forwarding subjects. */
  port?: number;
  reasons: readonly TitleReason[];
}

/** Longest title composed (Security Hub allows 256, SNS subjects 100 after a prefix; tables cut anyway). */
export const MAX_TITLE = 150;
/** Reasons named before "+N more". */
export const MAX_SHOWN = 4;

/** Acts and who did it first, then the target, the network, the time, what was missing. */
const RANK: Record<TitleReason['kind'], number> = {
  root: 0,
  'long-term-key': 1,
  production: 2,
  'untrusted-network': 3,
  'off-hours': 4,
  'missing-reason': 5,
  'no-mfa': 6,
  'instance-credentials': 7,
  unlogged: 8,
  'first-seen': 9,
};

const SUBJECTS: Record<string, string> = {
  'session-start-shell': 'Shell session',
  'session-start-command': 'Command session',
  'session-start-custom-document': 'Custom-document session',
  'session-port-forward-local': 'Port forwarding',
  'session-port-forward-sensitive-port': 'Port forwarding to a sensitive port',
  'session-port-forward-remote-host': 'Port forwarding to a remote host',
  'session-ssh-tunnel': 'SSH session',
  'session-remote-desktop': 'Remote desktop connection',
  'run-command-send': 'Run Command',
  'run-command-from-instance': 'Run Command from an instance',
  'run-command-automation': 'Command-running automation',
  'session-resumed-new-ip': 'Session resumed after an address change',
};

const INSTANCE_ID = /^(?:i|mi)-[0-9a-f]{8,17}$/;
const WEEKDAYS: ReadonlySet<string> = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;
const TIME_ZONE = /^[A-Za-z][A-Za-z0-9_+\-/]{0,39}$/;

/**
 * `fallback` (the rule's own title) when there is no reason; otherwise the subject and the strongest
 * reasons, at most {@link MAX_SHOWN}, then "+N more", never longer than {@link MAX_TITLE}.
 */
export function composeTitle(parts: TitleParts, fallback: string): string {
  const reasons = strongestFirst(parts.reasons);
  if (reasons.length === 0) return fallback;
  const subject = subjectOf(parts, fallback);
  let shown = Math.min(reasons.length, MAX_SHOWN);
  let title = render(subject, reasons.slice(0, shown), reasons.length - shown);
  // The pieces are short, so this rarely runs: drop the weakest shown reasons until it fits.
  while (title.length > MAX_TITLE && shown > 1) {
    shown--;
    title = render(subject, reasons.slice(0, shown), reasons.length - shown);
  }
  return title.length > MAX_TITLE ? `${title.slice(0, MAX_TITLE - 1)}…` : title;
}

/** One reason per kind (the first given), ordered by rank; stable for equal ranks. */
function strongestFirst(reasons: readonly TitleReason[]): TitleReason[] {
  const byKind = new Map<TitleReason['kind'], TitleReason>();
  for (const r of reasons) if (!byKind.has(r.kind)) byKind.set(r.kind, r);
  return [...byKind.values()].sort((a, b) => RANK[a.kind] - RANK[b.kind]);
}

function subjectOf(parts: TitleParts, fallback: string): string {
  const subject = Object.hasOwn(SUBJECTS, parts.ruleId) ? SUBJECTS[parts.ruleId] : undefined;
  if (subject === undefined) return fallback.slice(0, 80);
  const port = parts.port;
  const validPort = port !== undefined && Number.isInteger(port) && port > 0 && port < 65_536;
  if (!validPort) return subject;
  if (parts.ruleId === 'session-port-forward-local') return `Port forwarding to port ${port}`;
  if (parts.ruleId === 'session-port-forward-sensitive-port')
    return `Port forwarding to sensitive port ${port}`;
  return subject;
}

/** Phrases that attach to the subject ("on …", "from …") come first, then the clauses after commas. */
function render(subject: string, shown: readonly TitleReason[], more: number): string {
  const attached: string[] = [];
  const clauses: string[] = [];
  for (const r of shown) {
    const p = phrase(r);
    (p.attached ? attached : clauses).push(p.text);
  }
  if (more > 0) clauses.push(`+${more} more`);
  const head = [subject, ...attached].join(' ');
  return clauses.length > 0 ? `${head}, ${clauses.join(', ')}` : head;
}

function phrase(r: TitleReason): { text: string; attached: boolean } {
  switch (r.kind) {
    case 'root':
      return { text: 'by the root user', attached: true };
    case 'long-term-key':
      return { text: 'with a long-term access key without MFA', attached: true };
    case 'production':
      return {
        text:
          r.target !== undefined && INSTANCE_ID.test(r.target)
            ? `on production target ${r.target}`
            : 'on a production target',
        attached: true,
      };
    case 'untrusted-network':
      return { text: 'from an untrusted network', attached: true };
    case 'off-hours':
      return { text: offHours(r), attached: true };
    case 'missing-reason':
      return { text: 'no reason given', attached: false };
    case 'no-mfa':
      return { text: 'no MFA', attached: false };
    case 'instance-credentials':
      return { text: 'with instance-role credentials', attached: true };
    case 'unlogged':
      return { text: 'no transcript', attached: false };
    case 'first-seen':
      return {
        text:
          r.days !== undefined && Number.isInteger(r.days) && r.days > 0 && r.days < 100_000
            ? `first use in ${r.days} days`
            : 'first use in a long time',
        attached: false,
      };
  }
}

/** "at Sun 03:00 Europe/Berlin" when the local time has its shape, else "outside business hours". */
function offHours(r: { day?: string; hhmm?: string; timezone?: string }): string {
  if (r.day === undefined || r.hhmm === undefined || !WEEKDAYS.has(r.day) || !HHMM.test(r.hhmm))
    return 'outside business hours';
  const zone = r.timezone !== undefined && TIME_ZONE.test(r.timezone) ? ` ${r.timezone}` : '';
  return `at ${r.day} ${r.hhmm}${zone}`;
}
