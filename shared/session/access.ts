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

/**
 * The hashes of one event, computed once: factsFor, the rules and the writes all ask for them, and a
 * hash per ask was measurable on a replay (several SHA-256 per start).
 */
interface Hashed {
  principal: string;
  targets: string[];
}
const hashed = new WeakMap<SessionEvent, Hashed>();

function hashesOf(ev: SessionEvent): Hashed {
  let h = hashed.get(ev);
  if (!h) {
    h = { principal: hashOf(principalKey(ev)), targets: [...new Set(targetsOf(ev).map(hashOf))] };
    hashed.set(ev, h);
  }
  return h;
}

/** Recent hashes: a trail names the same principals and instances over and over. Bounded. */
const MEMO_MAX = 4096;
const memo = new Map<string, string>();

function hashOf(value: string): string {
  let h = memo.get(value);
  if (h === undefined) {
    h = stableId(value);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(value, h);
  }
  return h;
}

/** State key of a principal's last start (hashed: state holds no ARN). */
export function seenKey(ev: SessionEvent): string {
  return hashesOf(ev).principal;
}

/** The targets a start or command reaches: its instance, or every instance and selector it names. */
export function targetsOf(ev: SessionEvent): string[] {
  if (ev.command) return [...ev.command.instances, ...ev.command.selectors];
  return ev.target ? [ev.target] : [];
}

/** This event's targets, hashed as the fan-out window keeps them. */
export function hashedTargets(ev: SessionEvent): string[] {
  return hashesOf(ev).targets;
}

/** The fan-out window of a successful start or command with targets (hashed: state holds no target). */
export function fanOutQuery(ev: SessionEvent, config: Config): FanOutQuery | undefined {
  const timeMs = Date.parse(ev.time);
  if (!isAccess(ev) || !Number.isFinite(timeMs)) return undefined;
  const h = hashesOf(ev);
  if (h.targets.length === 0) return undefined;
  return {
    key: `fanout#${h.principal}`,
    targets: h.targets,
    timeMs,
    windowMs: config.fanOut.windowMinutes * 60_000,
    limit: config.fanOut.targets,
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
