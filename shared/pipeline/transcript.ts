import type { Config } from '../model/config';
import type { Finding } from '../model/finding';
import type {
  CarryOverStore,
  SessionStore,
  SuppressionStore,
  TranscriptScope,
  TranscriptWatch,
} from '../state/types';
import { findingTimeMs, markSuppressed } from '../suppress/match';
import { scanTranscript, shortError, WORK_CAPPED_RULE } from '../transcript/scan';
import type {
  Detector,
  ItemError,
  PiiScanner,
  ScanResult,
  TranscriptCarry,
  TranscriptChunk,
} from '../transcript/types';

/** What processing a transcript chunk needs: stores, the PII scanner and the detectors. */
export interface ChunkDeps {
  config: Config;
  sessions: SessionStore;
  carry: CarryOverStore<TranscriptCarry>;
  pii: PiiScanner | undefined;
  detectors: Detector[];
  /** Optional: told that the session's transcript arrived (missing-transcript timer). */
  watch?: TranscriptWatch;
  /** Where this function's transcripts come from (the Lambda: the payload's account, its Region). */
  scope?: TranscriptScope;
  /**
   * Optional: "Suppress similar" from Slack; `config.suppressions` apply always. The target's tags are
   * unknown here (the session record keeps none), so a suppression naming a target tag never matches
   * a transcript finding.
   */
  suppressions?: SuppressionStore;
  /** The suppression store failed: the finding is published unmarked (so alerted); the shell logs it. */
  onSuppressionError?: (error: unknown) => void;
}

/**
 * One delivery of one session, for the transcripts Lambda and the CLI alike: gather the session's
 * start record and carry-over, scan (no I/O), publish the findings, then save the new carry-over.
 * Saving only after `publish` resolved means a failed publish (it throws out of here) leaves the
 * state as it was, so the retried delivery finds and publishes the same findings again.
 */
export async function processChunk(
  chunk: TranscriptChunk,
  deps: ChunkDeps,
  publish: (findings: Finding[]) => Promise<void>,
): Promise<ScanResult> {
  const errors: ItemError[] = [];
  let arrivalLost = false;
  if (deps.watch) {
    try {
      await noteArrival(chunk, deps.watch, deps.scope);
    } catch (e) {
      // Scanned all the same; the delivery is retried so the timer learns of the transcript.
      arrivalLost = true;
      errors.push({ origin: chunk.origin, message: `transcript arrival not recorded: ${shortError(e)}` });
    }
  }
  const session = await deps.sessions.get(chunk.sessionId);
  let prior: TranscriptCarry | undefined;
  try {
    prior = await deps.carry.get(chunk.sessionId);
  } catch (e) {
    errors.push({
      origin: chunk.origin,
      message: `carry-over not loaded, scanning without it: ${shortError(e)}`,
    });
  }
  const result = await scanTranscript(
    chunk,
    { config: deps.config, pii: deps.pii, session, carry: prior },
    deps.detectors,
  );
  errors.push(...result.errors);
  // Suppressed findings are published all the same (bus, log, dashboard), marked: only alerts skip them.
  const findings = await markSuppressed(result.findings, {
    config: deps.config,
    ...(deps.suppressions ? { store: deps.suppressions } : {}),
    // Judged at the event's time: a replay marks what the Lambda marked when it happened.
    now: (f) => findingTimeMs(f, Date.now()),
    ...(deps.onSuppressionError ? { onError: deps.onSuppressionError } : {}),
  });
  if (findings.length) await publish(findings);
  if (result.carry) {
    try {
      await deps.carry.put(chunk.sessionId, result.carry);
    } catch (e) {
      errors.push({ origin: chunk.origin, message: `carry-over not saved: ${shortError(e)}` });
      return { ...result, findings, errors, retry: true };
    }
  }
  return arrivalLost ? { ...result, findings, errors, retry: true } : { ...result, findings, errors };
}

/** The session's transcript arrived: told before scanning, so a failing scan cannot make it look silent. */
async function noteArrival(chunk: TranscriptChunk, watch: TranscriptWatch, scope?: TranscriptScope) {
  const last = chunk.events.at(-1)?.time;
  const parsed = last === undefined ? Number.NaN : Date.parse(last);
  const region = scope?.region ?? chunk.owner?.region;
  await watch.arrived(chunk.sessionId, Number.isFinite(parsed) ? parsed : Date.now(), {
    ...(scope?.account ? { account: scope.account } : {}),
    ...(region ? { region } : {}),
  });
}

/**
 * What published findings say for the metrics, by evidence kind: personal data and secrets seen
 * (with their counts) and the work caps that cut the scan (one each: a `scan-work-capped` count adds
 * up over the session, so it would count earlier deliveries again).
 */
export function evidenceKinds(findings: readonly Finding[]): {
  pii: Map<string, number>;
  secret: Map<string, number>;
  capped: Map<string, number>;
} {
  const out = {
    pii: new Map<string, number>(),
    secret: new Map<string, number>(),
    capped: new Map<string, number>(),
  };
  for (const f of findings) {
    const capped = f.ruleId === WORK_CAPPED_RULE;
    const kinds = capped
      ? out.capped
      : f.category === 'pii' || f.category === 'secret'
        ? out[f.category]
        : undefined;
    if (!kinds) continue;
    for (const e of f.evidence) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + (capped ? 1 : (e.count ?? 1)));
  }
  return out;
}
