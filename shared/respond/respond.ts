import { stableId } from '../ids';
import type { Config } from '../model/config';
import { atLeast, type Finding, type Principal } from '../model/finding';
import { ruleById } from '../rules/index';
import { isTerminable } from '../rules/policy';
import { SESSION_TERMINATED } from '../rules/system-rules';
import type { SessionStore, TerminationGuard } from '../state/types';
import { principalMatches } from '../suppress/glob';
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
  return guardedTerminate(sessionId, deps, (outcome, now) => reported(outcome, trigger, principal, now));
}

/** Who asked for a manual termination (a Slack user id, already validated by the caller). */
export interface ManualRequest {
  /** What the button carried: the finding the alert was about (masked, as the alert showed it). */
  trigger: TriggerFacts;
  sessionId: string;
  requestedBy: string;
}

/**
 * A termination a person asked for (a Slack button). A human decided, so `enabled`, `minSeverity`
 * and the terminable-rule check do not apply; every other guardrail does: exempt and unknown
 * principals, sessions already ended, the once-per-session claim (shared with the responder), the
 * hourly cap and dry-run. The principal is the session record's when we have one (our own state);
 * the alert's is checked too, so either being exempt refuses.
 */
export async function terminateManually(
  request: ManualRequest,
  deps: ResponderDeps,
): Promise<ResponseResult> {
  const policy = deps.config.autoTerminate;
  const { sessionId } = request;
  const record = await deps.sessions.get(sessionId);
  const candidates = [record?.principal, request.trigger.principal].filter(
    (p): p is Principal => typeof p?.arn === 'string' && p.arn.length > 0,
  );
  const principal = candidates[0];
  if (!principal) return { outcome: 'unknown-principal' };
  if (candidates.some((p) => isExempt(p.arn, policy.exemptPrincipals))) return { outcome: 'exempt' };
  if (record?.endedAt) return { outcome: 'already-ended' };
  return guardedTerminate(sessionId, deps, (outcome, now) => {
    if (!SESSION_TERMINATED.matches({ source: 'responder', outcome })) return { outcome };
    const finding = terminationFinding(request.trigger, principal, now, outcome === 'dry-run', {
      requestedBy: request.requestedBy,
    });
    return { outcome, finding };
  });
}

/**
 * The guardrails both paths share once the principal passed: the session must not have ended, one
 * claim per session and at most `maxPerHour` per hour, dry-run stops short of the call.
 */
async function guardedTerminate(
  sessionId: string,
  deps: ResponderDeps,
  report: (outcome: 'dry-run' | 'terminated', now: Date) => ResponseResult,
): Promise<ResponseResult> {
  const policy = deps.config.autoTerminate;
  if ((await deps.control.status(sessionId)) === 'ended') return { outcome: 'already-ended' };

  const now = (deps.now ?? (() => new Date()))();
  const hour = now.toISOString().slice(0, 13);
  // Dry runs keep their own claims and counter, so they show what the real mode would have done.
  const claimId = policy.dryRun ? `dryrun:${sessionId}` : sessionId;
  const claim = await deps.guard.claim(claimId, policy.dryRun ? `dryrun:${hour}` : hour, policy.maxPerHour);
  if (claim !== 'claimed') return { outcome: claim };
  if (policy.dryRun) return report('dry-run', now);

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
  return report('terminated', now);
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

/** What the responder's finding says of the finding that made it act (a Finding has all of it). */
export type TriggerFacts = Pick<Finding, 'id' | 'ruleId' | 'severity' | 'title'> &
  Partial<
    Pick<Finding, 'account' | 'region' | 'sessionId' | 'target' | 'sourceIp' | 'documentName' | 'sessionKind'>
  > & { principal?: Principal };

/** The responder's own finding: what it did (or would have done) and which finding made it act. */
export function terminationFinding(
  trigger: TriggerFacts,
  principal: Principal,
  now: Date,
  dryRun: boolean,
  manual?: { requestedBy: string },
): Finding {
  const triggerLine = `${trigger.severity} finding "${trigger.title}" (${trigger.ruleId}, id ${trigger.id})`;
  const finding: Finding = {
    id: stableId(RESPONDER_RULE_ID, trigger.sessionId, dryRun ? 'dry-run' : 'terminated'),
    ruleId: RESPONDER_RULE_ID,
    category: 'session-terminated',
    severity: dryRun ? 'LOW' : 'HIGH',
    title: dryRun
      ? `Session would have been terminated${manual ? ' from Slack' : ''} (dry run)`
      : manual
        ? 'Session terminated from Slack'
        : 'Session terminated by ssm-sentinel',
    source: 'responder',
    time: now.toISOString(),
    principal,
    reasons: manual
      ? [`${dryRun ? 'would have been ' : ''}terminated from Slack by ${manual.requestedBy}`, triggerLine]
      : [triggerLine],
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
  // A linear wildcard match (no regex built from config: `a*a*a*…b` patterns cannot backtrack).
  return patterns.some((pattern) => principalMatches(arn, pattern));
}
