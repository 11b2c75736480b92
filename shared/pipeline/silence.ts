import type { Config } from '../model/config';
import type { Finding } from '../model/finding';
import { judgeSilence } from '../session/classify';
import type { SessionStore, SuppressionStore, TranscriptWatch } from '../state/types';
import { markSuppressed } from '../suppress/match';

/**
 * The missing-transcript timer, for the scheduled sweep Lambda and the end of a replay: every shell
 * session whose transcript fell due since the last sweep is judged (shared/session/classify.ts
 * `judgeSilence`), its finding published, then the sweep's cursor advanced. Publishing before advancing
 * means a failed publish is retried by the next sweep; finding ids are stable, so nothing doubles.
 */
export interface SweepDeps {
  config: Config;
  sessions: SessionStore;
  watch: TranscriptWatch;
  /**
   * Optional: "Suppress similar" from Slack; `config.suppressions` apply always, judged at the sweep's
   * time. The target's tags are unknown here: a suppression naming a target tag never matches.
   */
  suppressions?: SuppressionStore;
  /** The suppression store failed: the finding is published unmarked (so alerted); the shell logs it. */
  onSuppressionError?: (error: unknown) => void;
}

/** How far back a sweep looks when it has never run or stopped for long (the due buckets kept). */
export const MAX_LOOKBACK_MS = 24 * 3_600_000;
/** Transcripts of an account and Region within this long count as "streaming is expected". */
export const STREAMING_WINDOW_MS = 7 * 86_400_000;

export interface SweepResult {
  /** Sessions judged (due in the window). */
  judged: number;
  findings: Finding[];
  /** The window judged: [fromMs, toMs). */
  fromMs: number;
  toMs: number;
}

/** A backlog is judged in windows this long, the cursor advanced after each (see sweepSilence). */
export const SWEEP_STEP_MS = 3_600_000;

/**
 * Judge every expectation due in [cursor, nowMs) (at most MAX_LOOKBACK_MS back), publish, advance.
 * A backlog (a sweep that failed for hours) is judged an hour at a time, publishing and advancing the
 * cursor after each: a run cut short by its timeout keeps what it finished. `fromMs` replaces the
 * cursor and the look-back, in one step (a replay judges its whole input at its end).
 */
export async function sweepSilence(
  deps: SweepDeps,
  nowMs: number,
  publish: (findings: Finding[]) => Promise<void>,
  options: { fromMs?: number } = {},
): Promise<SweepResult> {
  const cursor = await deps.watch.cursor();
  const fromMs = options.fromMs ?? Math.max(cursor ?? nowMs - MAX_LOOKBACK_MS, nowMs - MAX_LOOKBACK_MS);
  const toMs = nowMs;
  const result: SweepResult = { judged: 0, findings: [], fromMs, toMs };
  if (toMs <= fromMs) return result;
  // A replay's window may start at -Infinity: one step then, never `from + step` (NaN).
  const stepped = options.fromMs === undefined;
  for (let from = fromMs; from < toMs; ) {
    const to = stepped ? Math.min(toMs, from + SWEEP_STEP_MS) : toMs;
    const ids = await deps.watch.due(from, to);
    const judged: Finding[] = [];
    for (const id of ids) judged.push(...(await judge(deps, id, nowMs)));
    // Suppressed findings are published all the same (bus, log, dashboard), marked: only alerts skip them.
    const findings = await markSuppressed(judged, {
      config: deps.config,
      ...(deps.suppressions ? { store: deps.suppressions } : {}),
      now: nowMs,
      ...(deps.onSuppressionError ? { onError: deps.onSuppressionError } : {}),
    });
    if (findings.length > 0) await publish(findings);
    await deps.watch.advance(to);
    result.judged += ids.length;
    result.findings.push(...findings);
    from = to;
  }
  return result;
}

/** One due session: its finding when it is silent where transcripts stream, else none. */
async function judge(deps: SweepDeps, id: string, nowMs: number): Promise<Finding[]> {
  const record = await deps.sessions.get(id);
  if (!record) return [];
  const transcriptSeen = await deps.watch.transcriptSeen(id);
  const streamingExpected =
    !transcriptSeen &&
    (await deps.watch.streaming(
      {
        ...(record.account ? { account: record.account } : {}),
        ...(record.region ? { region: record.region } : {}),
      },
      nowMs,
      STREAMING_WINDOW_MS,
    ));
  return judgeSilence(
    record,
    {
      transcriptSeen,
      streamingExpected,
      judgedAt: new Date(nowMs).toISOString(),
      ...(record.endedAt ? { endedAt: record.endedAt } : {}),
    },
    deps.config,
  );
}
