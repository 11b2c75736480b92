import type { Config } from '../model/config';
import type { Finding, Severity } from '../model/finding';
import type { SessionRecord } from '../state/types';

/** One delivery of session-log text for one session, whatever the input shape was. */
export interface TranscriptChunk {
  sessionId: string;
  /** Log events in order; each `text` is the event's session text (lines joined with `\n`). */
  events: Array<{
    time: string;
    text: string;
    /** Log event id when the shape has one (dedupe of re-deliveries). */
    id?: string;
  }>;
  /** Where it came from, for messages only (file name, log stream). */
  origin: string;
  /** Owner/target from the session-log event itself, when the shape carries them. */
  owner?: { arn?: string; target?: string; runAsUser?: string; region?: string };
  /** True when no more text will follow for this session (raw/S3 logs, end of a CLI file). */
  final?: boolean;
  /** Terminal width when the shape tells it (the `script` header of raw logs). */
  columns?: number;
}

/** A normalised transcript line, as the detectors see it. */
export interface TranscriptLine {
  /** 1-based line number within the session (stable across deliveries through the carry-over). */
  n: number;
  /** What the screen showed after escape sequences, backspace and `\r` overwrites were applied. */
  text: string;
  /** Text that was typed and then erased on this line (still in the log, so still scanned). */
  erased: string[];
  /** The command typed after a prompt on this line, when there is one (continuations joined). */
  command?: string;
  /** The command line was cancelled with ^C (never executed). */
  cancelled?: boolean;
  /** For a continuation line (`> `): the line number where its command started. */
  commandStart?: number;
  /**
   * Prompt clues (rule in shared/transcript/commands.ts). `marks`: columns of `text` where the terminal
   * normaliser saw a shell announce its prompt (bracketed paste on, window title, OSC 133;A), so a bare
   * `$ ` / `# ` there is a prompt even after output. `quiet`: set by the command annotator while a file
   * printer's or pager's output is on screen: the bare prompt characters that are printed text, not a
   * prompt, at the start of the next line (with `!`: a pager's, which ends at a shell escape). Kept on
   * the carried context lines, so it crosses deliveries.
   */
  prompt?: { marks?: number[]; quiet?: string };
}

/** A raw hit of a detector. `value` is internal only: never logged, never output; mask it first. */
export interface Detection {
  ruleId: string;
  category: 'risky-command' | 'secret' | 'pii';
  /** Evidence kind: `REVERSE_SHELL`, `AWS_ACCESS_KEY`, `SSN`… */
  kind: string;
  severity: Severity;
  line: number;
  value: string;
  /** Comprehend or local confidence, 0..1. */
  score?: number;
}

/** JSON-serialisable per-session memo a detector may keep between deliveries. */
export type DetectorState = Record<string, unknown>;

/** Synchronous local detector (commands, secrets, offline PII). */
export interface Detector {
  readonly name: string;
  scan(lines: readonly TranscriptLine[], state: DetectorState): Detection[];
}

/** Personal-data scanner: the offline detector or Comprehend, same output. */
export interface PiiScanner {
  readonly name: string;
  /** Rejects only when the text could not be scanned after retries (→ `scan-error` + retry the delivery). */
  /** `final`: no more text follows for this session, so nothing may be held back for packing. */
  scan(
    lines: readonly TranscriptLine[],
    state: DetectorState,
    sessionId: string,
    options?: { final?: boolean },
  ): Promise<Detection[]>;
}

/** Everything the transcript core keeps per session between deliveries. */
export interface TranscriptCarry {
  /** Next line number to assign. */
  nextLine: number;
  /** Last partial line (no newline yet) and a few lines of context, raw text. */
  tail: string;
  detectors: Record<string, DetectorState>;
  /** Per rule/kind counts already reported, for aggregation across deliveries. */
  counts: Record<string, number>;
  /** Highest severity reported per rule/kind so far. */
  severities?: Record<string, Severity>;
  /** Last normalised lines, re-scanned with the next delivery so items split across deliveries are found. */
  context?: TranscriptLine[];
  /** Keys of detections already counted on the context lines (exactly-once across the overlap). */
  seen?: string[];
  /** Ids (or hashes) of the last log events processed: a re-delivered event is skipped. */
  events?: string[];
  /**
   * A command line too long to carry whole (a partial line past the carry bound is scanned as it is):
   * where it started and its last characters, so its next piece is still read as the same command.
   */
  openCommand?: { start: number; head: string };
}

/** What one scan needs, gathered by the caller beforehand: the scan itself reads no store. */
export interface TranscriptContext {
  config: Config;
  pii: PiiScanner | undefined;
  /** Start record of the session (principal, source IP, kind) when known. */
  session?: SessionRecord;
  /** The session's carry-over from its previous delivery; undefined for a new session. Never modified. */
  carry?: TranscriptCarry;
}

/** A problem with one item of input: reported, never thrown, never fatal to the rest. */
export interface ItemError {
  origin: string;
  index?: number;
  message: string;
}

export interface ScanResult {
  findings: Finding[];
  errors: ItemError[];
  /**
   * The delivery must be retried: the PII scan failed after its retries (a `scan-error` finding is
   * included), or, in the pipeline, the carry-over could not be saved.
   */
  retry?: boolean;
  /**
   * The state to save once the findings are published; absent = save nothing (a retry, or a
   * delivery whose events were all seen before).
   */
  carry?: TranscriptCarry;
}
