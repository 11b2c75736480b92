import { type Alert, type AlertPublisher, buildDigestAlert } from '../format/alert';
import type { RuleMeta } from '../rules/types';
import type { IncidentStore } from '../state/types';
import { buildDigest } from './digest';

/**
 * The digest timer, for the scheduled alert-digest Lambda: every incident window that closed since
 * the last sweep is claimed (closed to later findings, leased to this sweep), its digest published,
 * and the window marked digested; then the cursor advances. A failed publish throws: the window's
 * lease runs out and the next sweep, starting from the unmoved cursor, sends it.
 */
export interface DigestSweepDeps {
  incidents: IncidentStore;
  publisher: AlertPublisher;
  ruleById: (id: string) => RuleMeta | undefined;
  onPublished?: (alert: Alert) => void;
}

/** How far back a sweep looks when it has never run or stopped for long (the due buckets kept). */
export const DIGEST_LOOKBACK_MS = 24 * 3_600_000;
/** A claimed window is another sweep's again after this; longer than the function's timeout (60 s). */
export const DIGEST_LEASE_MS = 2 * 60_000;
/** A backlog is swept in steps this long, the cursor advanced after each. */
export const DIGEST_STEP_MS = 3_600_000;

export interface DigestSweepResult {
  /** Windows claimed (their digest sent, or nothing new to say). */
  windows: number;
  /** Digests published. */
  digests: number;
  fromMs: number;
  toMs: number;
}

export async function sweepDigests(deps: DigestSweepDeps, nowMs: number): Promise<DigestSweepResult> {
  const cursor = await deps.incidents.cursor();
  const fromMs = Math.max(cursor ?? nowMs - DIGEST_LOOKBACK_MS, nowMs - DIGEST_LOOKBACK_MS);
  const result: DigestSweepResult = { windows: 0, digests: 0, fromMs, toMs: nowMs };
  for (let from = fromMs; from < nowMs; ) {
    const to = Math.min(nowMs, from + DIGEST_STEP_MS);
    // A window leased to another (overlapping or crashed) sweep holds the cursor at its close time,
    // so a later sweep claims it again once the lease ran out.
    let holdAt: number | undefined;
    for (const due of await deps.incidents.due(from, to)) {
      const claim = await deps.incidents.claim(due.key, due.window, nowMs, nowMs + DIGEST_LEASE_MS);
      if (claim.status === 'busy') {
        holdAt ??= due.closesAtMs;
        continue;
      }
      if (claim.status === 'done') continue;
      const digest = buildDigest(claim.window, deps.ruleById);
      if (digest) {
        const alert = buildDigestAlert(digest);
        await deps.publisher.publish(alert);
        deps.onPublished?.(alert);
        result.digests++;
      }
      await deps.incidents.digested(due.key, due.window);
      result.windows++;
    }
    await deps.incidents.advance(holdAt ?? to);
    if (holdAt !== undefined) break;
    from = to;
  }
  return result;
}
