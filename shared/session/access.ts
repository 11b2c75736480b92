import { stableId } from '../ids';
import type { Config } from '../model/config';
import type { FanOutQuery, SessionEvent, SessionKind } from './types';

/**
 * Who reached what, across events: the keys fan-out and first seen keep state under, and which starts
 * expect a transcript. Shared by the rules (shared/rules/) and the composition (classify.ts).
 */

/** A successful start or command: what the principal rules look at. */
export function isAccess(ev: SessionEvent): boolean {
  return (
    (ev.action === 'start' || ev.action === 'send-command' || ev.action === 'automation') &&
    ev.errorCode === undefined
  );
}

/**
 * Who a principal is across sessions, for fan-out and first seen: the account plus the user or role
 * name, not the role-session ARN (unique per session for instances, CI jobs and SDK sessions, which
 * would make every session a new principal). Identity Center sessions keep the user: the session name
 * is the person, the role is a permission set many people share.
 */
export function principalKey(ev: SessionEvent): string {
  const p = ev.principal;
  const account = ev.account ?? p.accountId ?? '';
  if (p.root) return `${account}|root`;
  if (p.type === 'AssumedRole' && p.roleName)
    return p.sso ? `${account}|sso|${p.roleName}|${p.name ?? ''}` : `${account}|role|${p.roleName}`;
  return `${account}|${p.type}|${p.name ?? p.arn}`;
}

/** State key of a principal's last start (hashed: state holds no ARN). */
export function seenKey(ev: SessionEvent): string {
  return stableId(principalKey(ev));
}

/** The targets a start or command reaches: its instance, or every instance and selector it names. */
export function targetsOf(ev: SessionEvent): string[] {
  if (ev.command) return [...ev.command.instances, ...ev.command.selectors];
  return ev.target ? [ev.target] : [];
}

/** The fan-out window of a successful start or command with targets (hashed: state holds no target). */
export function fanOutQuery(ev: SessionEvent, config: Config): FanOutQuery | undefined {
  const timeMs = Date.parse(ev.time);
  const targets = targetsOf(ev);
  if (!isAccess(ev) || targets.length === 0 || !Number.isFinite(timeMs)) return undefined;
  return {
    key: `fanout#${stableId(principalKey(ev))}`,
    targets: [...new Set(targets.map((t) => stableId(t)))],
    timeMs,
    windowMs: config.fanOut.windowMinutes * 60_000,
  };
}

/** Session kinds whose output Session Manager streams (port forwarding, SSH and remote desktop never). */
export const STREAMED: readonly SessionKind[] = ['shell', 'interactive-command'];

/** A successful interactive session start whose transcript should arrive (missing transcript). */
export function expectsTranscript(ev: SessionEvent): boolean {
  return (
    ev.action === 'start' &&
    ev.errorCode === undefined &&
    ev.sessionId !== undefined &&
    ev.kind !== undefined &&
    STREAMED.includes(ev.kind)
  );
}
