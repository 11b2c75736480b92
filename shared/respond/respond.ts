import { stableId } from '../ids';
import type { Config } from '../model/config';
import { atLeast, type Finding, type Principal } from '../model/finding';
import { ruleById } from '../rules/index';
import { isTerminable } from '../rules/policy';
import { SESSION_TERMINATED } from '../rules/system-rules';
import type { SessionStore, TerminationGuard } from '../state/types';
import type { SessionControl } from './types';

/**
 * Auto-termination guardrails, in order: off unless enabled; only findings at or above the
 * configured severity that name a session; never the responder's own results; only findings of
 * terminable rules (acts, never context: shared/rules/policy.ts); exempt principals
 * (break-glass) and sessions whose principal is unknown are never touched; sessions already ended are
 * skipped; one claim per session and at most `maxPerHour` per hour; dry-run stops short of the call.
 */
export type ResponseOutcome =
  | 'disabled'
  | 'below-threshold'
  | 'not-applicable'
  /** The finding is context (a session start, however unusual), not an act: never terminated. */
  | 'not-terminable'
  | 'exempt'
  | 'unknown-principal'
  | 'already-ended'
  | 'duplicate'
  | 'capped'
  | 'dry-run'
  | 'terminated';

export interface ResponseResult {
  outcome: ResponseOutcome;
  /** A `session-terminated` finding for the bus (real and dry-run terminations only). */
  finding?: Finding;
}

/** A guard that can give a claim back when the termination call failed (the event will be retried). */
export type ReleasableGuard = TerminationGuard & { release?(sessionId: string): Promise<void> };

export interface ResponderDeps {
  config: Config;
  guard: ReleasableGuard;
  sessions: SessionStore;
  control: SessionControl;
  now?: () => Date;
}

export const RESPONDER_RULE_ID = SESSION_TERMINATED.id;

export async function respond(trigger: Finding, deps: ResponderDeps): Promise<ResponseResult> {
  const policy = deps.config.autoTerminate;
  if (!policy.enabled) return { outcome: 'disabled' };
  if (!atLeast(trigger.severity, policy.minSeverity)) return { outcome: 'below-threshold' };
  const sessionId = trigger.sessionId;
  if (!sessionId || trigger.source === 'responder' || trigger.category === 'session-terminated') {
    return { outcome: 'not-applicable' };
  }
  // A rule this version does not know (a finding from an older or newer stack): its category decides.
  if (!isTerminable(ruleById(trigger.ruleId) ?? { category: trigger.category }))
    return { outcome: 'not-terminable' };

  const record = await deps.sessions.get(sessionId);
  const principal = trigger.principal ?? record?.principal;
  if (!principal?.arn) return { outcome: 'unknown-principal' };
  if (isExempt(principal.arn, policy.exemptPrincipals)) return { outcome: 'exempt' };
  if (record?.endedAt) return { outcome: 'already-ended' };
  if ((await deps.control.status(sessionId)) === 'ended') return { outcome: 'already-ended' };

  const now = (deps.now ?? (() => new Date()))();
  const hour = now.toISOString().slice(0, 13);
  // Dry runs keep their own claims and counter, so they show what the real mode would have done.
  const claimId = policy.dryRun ? `dryrun:${sessionId}` : sessionId;
  const claim = await deps.guard.claim(claimId, policy.dryRun ? `dryrun:${hour}` : hour, policy.maxPerHour);
  if (claim !== 'claimed') return { outcome: claim };
  if (policy.dryRun) return reported('dry-run', trigger, principal, now);

  try {
    await deps.control.terminate(sessionId);
  } catch (err) {
    await deps.guard.release?.(claimId);
    throw err;
  }
  try {
    await deps.sessions.markEnded(sessionId, now.toISOString());
  } catch {
    // The session is ended and the claim already blocks a repeat: the result must still be reported.
  }
  return reported('terminated', trigger, principal, now);
}

/** The outcome, with the responder's own finding when its system rule says this outcome is reported. */
function reported(
  outcome: ResponseOutcome,
  trigger: Finding,
  principal: Principal,
  now: Date,
): ResponseResult {
  if (!SESSION_TERMINATED.matches({ source: 'responder', outcome })) return { outcome };
  return { outcome, finding: terminationFinding(trigger, principal, now, outcome === 'dry-run') };
}

/** The responder's own finding: what it did (or would have done) and which finding made it act. */
export function terminationFinding(
  trigger: Finding,
  principal: Principal,
  now: Date,
  dryRun: boolean,
): Finding {
  const finding: Finding = {
    id: stableId(RESPONDER_RULE_ID, trigger.sessionId, dryRun ? 'dry-run' : 'terminated'),
    ruleId: RESPONDER_RULE_ID,
    category: 'session-terminated',
    severity: dryRun ? 'LOW' : 'HIGH',
    title: dryRun ? 'Session would have been terminated (dry run)' : 'Session terminated by ssm-sentinel',
    source: 'responder',
    time: now.toISOString(),
    principal,
    reasons: [`${trigger.severity} finding "${trigger.title}" (${trigger.ruleId}, id ${trigger.id})`],
    evidence: [{ kind: 'TRIGGER', excerpt: `${trigger.ruleId} ${trigger.severity}` }],
  };
  for (const key of [
    'account',
    'region',
    'sessionId',
    'target',
    'sourceIp',
    'documentName',
    'sessionKind',
  ] as const) {
    const value = trigger[key];
    if (value !== undefined) finding[key] = value;
  }
  return finding;
}

/**
 * Whether a principal matches one of the exempt patterns (`*` matches any run of characters, case
 * ignored). An assumed-role session ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`) is also
 * checked as its role ARN, and as the role name under any path, since the session ARN drops the path.
 */
export function isExempt(arn: string, patterns: readonly string[]): boolean {
  const candidates = [arn];
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  if (assumed) candidates.push(`arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`);
  return patterns.some((pattern) => {
    const variants = [pattern];
    // `…:role/some/path/Name*` → `…:role/Name*`: the role path is not in a session ARN.
    const pathed = /^(.*:role\/)(?:[^/]+\/)+([^/]+)$/.exec(pattern);
    if (assumed && pathed) variants.push(`${pathed[1]}${pathed[2]}`);
    return variants.some((p) => {
      const re = globToRegExp(p);
      return candidates.some((c) => re.test(c));
    });
  });
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i');
}
