import type { Config } from '../model/config';
import type { Finding } from '../model/finding';
import { judgeSilence } from '../session/classify';
import type { SessionStore, TranscriptWatch } from '../state/types';

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

/**
 * Judge every expectation due in [cursor, nowMs) (at most MAX_LOOKBACK_MS back), publish, advance.
 * `fromMs` replaces the cursor and the look-back (a replay judges its whole input at its end).
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
  if (toMs <= fromMs) return { judged: 0, findings: [], fromMs, toMs };
  const ids = await deps.watch.due(fromMs, toMs);
  const findings: Finding[] = [];
  const judgedAt = new Date(nowMs).toISOString();
  for (const id of ids) {
    const record = await deps.sessions.get(id);
    if (!record) continue;
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
    findings.push(
      ...judgeSilence(
        record,
        {
          transcriptSeen,
          streamingExpected,
          judgedAt,
          ...(record.endedAt ? { endedAt: record.endedAt } : {}),
        },
        deps.config,
      ),
    );
  }
  if (findings.length > 0) await publish(findings);
  await deps.watch.advance(toMs);
  return { judged: ids.length, findings, fromMs, toMs };
}
