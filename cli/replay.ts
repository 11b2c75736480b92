import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { describeError, InputError } from '#shared/errors';
import { field } from '#shared/format/sanitize';
import type { Config } from '#shared/model/config';
import { atLeast, compareFindings, type Finding, type Severity } from '#shared/model/finding';
import { type PiiMode, piiScanner, transcriptDetectors, withLocalFallback } from '#shared/pipeline/engine';
import { processEvent, type RecordDeps } from '#shared/pipeline/record';
import { sweepSilence } from '#shared/pipeline/silence';
import { type ChunkDeps, processChunk } from '#shared/pipeline/transcript';
import { readRecord } from '#shared/session/classify';
import type { SessionEvent } from '#shared/session/types';
import type { SessionRecord } from '#shared/state/types';
import {
  detectTranscriptShape,
  looksLikeCloudTrailDelivery,
  MAX_GUNZIP_BYTES,
  RawLogReader,
  type ReadResult,
  rawLogSessionId,
  readDataMessage,
  readSubscription,
  SessionEventBatcher,
} from '#shared/transcript/read';
import type { ItemError, PiiScanner, TranscriptCarry, TranscriptChunk } from '#shared/transcript/types';
import { decodedBytes, type InputItem, listInputs, peek, readItems, type Source } from './input';
import { TimeOrder } from './order';
import { ReportAggregate } from './report/aggregate';
import { buildReport } from './report/html';
import {
  MemoryCarryOverStore,
  MemorySeenStore,
  MemorySessionStore,
  MemoryTranscriptWatch,
  MemoryWindowStore,
  StaticTagSource,
} from './state';
import { formatTable, severityCounts } from './table';

export type { PiiMode };

export interface ReplayOptions {
  paths: string[];
  json: boolean;
  /** The table one line per finding, not grouped by session (no effect with --json). */
  flat?: boolean;
  failOn?: Severity;
  config: Config;
  targetTags: Record<string, Record<string, string>>;
  pii: PiiMode;
  stats: boolean;
  /** Also write a self-contained HTML report to this file (counts over every finding, rows capped). */
  html?: string;
  /** The per-file and memory limits (defaults below); tests lower them to reach them quickly. */
  limits?: Partial<ReplayLimits>;
}

export interface ReplayLimits {
  recordsPerFile: number;
  errorsPerFile: number;
  gunzipBytes: number;
  seenIds: number;
  /** Findings kept for the table and the HTML report's rows (counts cover every finding). */
  kept: number;
}

export interface ReplayIO {
  /** May return a promise: a slow reader of stdout then slows the replay instead of filling memory. */
  out(s: string): void | Promise<void>;
  err(s: string): void;
  /** Draw a progress line on stderr (only when it is a terminal). */
  progress: boolean;
  /** Table width in characters. */
  width?: number;
  /** Standard input, read for `-` (and `/dev/stdin` when it is not a regular file). */
  stdin?: () => Readable;
}

export interface ReplayResult {
  exitCode: number;
  findings: Finding[];
  /** The first MAX_ERRORS_KEPT error lines (all of them are printed). */
  errors: string[];
  errorCount: number;
}

/** Findings kept for the table (not with --json); beyond this only counts are kept (a 1 GB archive must not fill memory). */
const MAX_KEPT = 50_000;
/**
 * Session start records remembered for enrichment and resume checks; the oldest are forgotten past
 * this (about 100 MB), so a multi-GB archive replays in bounded memory.
 */
const MAX_SESSIONS = 100_000;
/**
 * Records read from one file (a CloudTrail log file holds a few thousand; the bench's 1 GiB archive
 * about 840 000). Past it the rest of the file is not read, with an error: a small gzip of `{},`…
 * must not keep the run from the other files.
 */
export const MAX_RECORDS_PER_FILE = 2_000_000;
/** Errors reported for one file; past it the rest of the file is not read (one more line says so). */
export const MAX_ERRORS_PER_FILE = 100;
/** Error lines kept in the result (every one is still printed and counted). */
const MAX_ERRORS_KEPT = 1_000;
/**
 * Finding ids remembered to print each finding once (the same CloudTrail event in a log file and as
 * an EventBridge event); the oldest are forgotten past this many, so memory stays bounded.
 */
export const MAX_SEEN_IDS = 200_000;
/** Blank lines before a raw log's first text are handed on in pieces of this many (bounded strings). */
const BLANK_PIECE = 64 * 1024;
export const DEFAULT_LIMITS: ReplayLimits = {
  recordsPerFile: MAX_RECORDS_PER_FILE,
  errorsPerFile: MAX_ERRORS_PER_FILE,
  gunzipBytes: MAX_GUNZIP_BYTES,
  seenIds: MAX_SEEN_IDS,
  kept: MAX_KEPT,
};
/** `[[record, …], …]` is still records; arrays nested deeper are not. */
const MAX_ARRAY_NESTING = 2;

/**
 * `ssm-sentinel replay`: CloudTrail/EventBridge input first (so transcripts can be enriched with the
 * principal, source IP and kind of their StartSession), then every transcript file, then a final
 * flush per session. Pipes and stdin cannot be read twice: a transcript there is scanned when met.
 * Bad input is reported per file and record; everything else is still processed.
 */
export async function replay(opts: ReplayOptions, io: ReplayIO): Promise<ReplayResult> {
  const started = performance.now();
  const run = new Run(opts, io);
  await run.start();
  const transcripts: Source[] = [];
  for await (const entry of listInputs(opts.paths, io.stdin)) {
    if ('error' in entry) run.error(entry.name, entry.error);
    else if ('note' in entry) io.err(`note: ${field(entry.name)}: ${entry.note}\n`);
    else await run.read(entry.source, transcripts);
  }
  // Held CloudTrail records first: transcripts are enriched from the starts they follow.
  await run.drainRecords();
  for (const source of transcripts) await run.read(source);
  await run.drainRecords();
  await run.flushSessions();
  await run.judgeSilence();
  run.endProgress();
  // A gate must not pass on nothing: no readable input is an error, never "No findings.".
  if (run.inputsRead === 0) run.error(undefined, 'no input could be read');

  const findings = run.kept.sort(compareFindings);
  if (!opts.json && run.inputsRead > 0) await io.out(formatTable(findings, io.width, opts.flat === true));
  const summary = `${severityCounts(run.bySeverity)} from ${run.files} file(s), ${run.records} record(s), ${run.deliveries} transcript delivery(ies)`;
  io.err(`${summary}${run.errorCount ? `; ${run.errorCount} input error(s)` : ''}\n`);
  if (run.dropped && !opts.json)
    io.err(`(${run.dropped} more findings not kept for the table; use --json for all)\n`);
  if (opts.html !== undefined && run.report) await run.writeReport(opts.html, findings);
  if (opts.stats) {
    const seconds = (performance.now() - started) / 1000;
    const maxRssMB = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
    io.err(
      `${JSON.stringify({ seconds: Math.round(seconds * 1000) / 1000, maxRssMB, records: run.records })}\n`,
    );
  }
  const failed =
    opts.failOn !== undefined && run.maxSeverity !== undefined && atLeast(run.maxSeverity, opts.failOn);
  return {
    exitCode: run.errorCount ? 2 : failed ? 1 : 0,
    findings,
    errors: run.errors,
    errorCount: run.errorCount,
  };
}

/**
 * A CloudTrail event waiting for its turn in event-time order, with where it came from. The event,
 * not the record: read at once (errors reported where they are met), it is a fraction of the size.
 */
interface HeldEvent {
  file: FileRead;
  at: string | undefined;
  event: SessionEvent;
}

/** What one input has cost so far (limits are per file). */
class FileRead {
  records = 0;
  errors = 0;
  /** A limit was reached: the rest of the file is not read. */
  stopped = false;
  /** At least one record, event or text piece came out of it. */
  items = 0;
  constructor(readonly name: string) {}
}

class Run {
  readonly errors: string[] = [];
  errorCount = 0;
  readonly kept: Finding[] = [];
  readonly bySeverity = new Map<Severity, number>();
  /** Counts of every finding for --html (the kept list is bounded). */
  readonly report: ReportAggregate | undefined;
  dropped = 0;
  files = 0;
  inputsRead = 0;
  records = 0;
  deliveries = 0;
  maxSeverity: Severity | undefined;
  private readonly sessions = new MemorySessionStore(MAX_SESSIONS);
  private readonly watch = new MemoryTranscriptWatch(MAX_SESSIONS);
  /** Session records are classified in event-time order (fan-out, first seen learn from the order). */
  private readonly order = new TimeOrder<HeldEvent>();
  /** The latest event time classified: "now" when the missing transcripts are judged. */
  private latestMs: number | undefined;
  private readonly recordDeps: RecordDeps;
  private readonly chunkDeps: ChunkDeps;
  /** Transcript findings by id: later deliveries update counts of the same finding. */
  private readonly transcriptFindings = new Map<string, Finding>();
  private readonly sessionOrigins = new Map<string, string>();
  /** Ids already printed, oldest first (Map order), at most MAX_SEEN_IDS. */
  private readonly seen = new Set<string>();
  private lastProgress = 0;
  private readonly limits: ReplayLimits;

  constructor(
    private readonly opts: ReplayOptions,
    private readonly io: ReplayIO,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.report = opts.html !== undefined ? new ReportAggregate() : undefined;
    this.recordDeps = {
      ctx: { config: opts.config },
      sessions: this.sessions,
      windows: new MemoryWindowStore(),
      tags: new StaticTagSource(opts.targetTags),
      seen: new MemorySeenStore(),
      watch: this.watch,
    };
    this.chunkDeps = {
      config: opts.config,
      sessions: this.sessions,
      carry: new MemoryCarryOverStore<TranscriptCarry>(),
      pii: undefined,
      detectors: transcriptDetectors(),
      watch: this.watch,
    };
  }

  async start() {
    this.chunkDeps.pii = await this.piiScanner();
  }

  /** One error line; `where` is the file (or other input) with its position, printed sanitised. */
  error(where: string | undefined, message: string) {
    const line = where === undefined ? field(message) : `${field(where)}: ${field(message)}`;
    this.errorCount++;
    if (this.errors.length < MAX_ERRORS_KEPT) this.errors.push(line);
    this.endProgress();
    this.io.err(`error: ${line}\n`);
  }

  /**
   * An error in a file; false once the file has had too many (then one line says the rest is not
   * read, and the caller stops reading it). `label`: where in the file, default the file itself.
   */
  private fileError(file: FileRead, message: string, label = file.name): boolean {
    if (file.stopped) return false;
    if (++file.errors > this.limits.errorsPerFile) {
      this.stop(file, `more than ${this.limits.errorsPerFile} errors: the rest of the file is not read`);
      return false;
    }
    this.error(label, message);
    return true;
  }

  private stop(file: FileRead, message: string) {
    file.stopped = true;
    this.error(file.name, message);
  }

  /**
   * Read one input. With `transcripts`, a session-log file that can be opened again is put there to
   * be read after all CloudTrail input; anything else is read now.
   */
  async read(source: Source, transcripts?: Source[]) {
    const file = new FileRead(source.name);
    this.files++;
    let bytes: AsyncGenerator<Buffer> | undefined;
    try {
      bytes = decodedBytes(source.open(), this.limits.gunzipBytes);
      const { head, all } = await peek(bytes);
      // A trail delivered through CloudWatch Logs has the shape of a session log: read with CloudTrail.
      if (
        transcripts &&
        source.reopenable &&
        detectTranscriptShape(head) !== undefined &&
        !looksLikeCloudTrailDelivery(head)
      ) {
        this.files--;
        transcripts.push(source);
        return;
      }
      await this.consume(file, readItems(all));
      // Ordered within each file: a listing that puts a later file first (another Region, a newer
      // day) must not push the next file's events past the hold unordered.
      await this.drainRecords();
    } catch (e) {
      // A stream that fails (read error, corrupt gzip, the gzip limit) ends this file only.
      const message = e instanceof InputError ? e.message : `cannot read: ${describeError(e)}`;
      if (!file.stopped) this.stop(file, message);
    } finally {
      await bytes?.return(undefined);
    }
    if (file.items > 0 || file.errors === 0) this.inputsRead++;
  }

  private async consume(file: FileRead, items: AsyncIterable<InputItem>) {
    let raw: RawLogReader | undefined;
    let batcher: SessionEventBatcher | undefined;
    const events = () => {
      batcher ??= new SessionEventBatcher(file.name);
      return batcher;
    };
    try {
      for await (const item of items) {
        if (item.type === 'error') {
          if (!this.fileError(file, item.message, labelOf(file, position(item)))) break;
          continue;
        }
        file.items++;
        if (item.type === 'text') {
          if (!raw) {
            if (detectTranscriptShape(item.text) !== 'raw-log') {
              file.items = 0;
              this.fileError(file, 'not a CloudTrail file or a session log');
              break;
            }
            raw = new RawLogReader(file.name, rawLogSessionId(file.name) ?? file.name);
            // Blank lines before the text still count as lines (numbers as in the file).
            for (let n = item.blankLines ?? 0; n > 0; n -= BLANK_PIECE) {
              for (const chunk of raw.push('\n'.repeat(Math.min(n, BLANK_PIECE)))) await this.scan(chunk);
            }
          }
          for (const chunk of raw.push(item.text)) await this.scan(chunk);
          continue;
        }
        if (!(await this.value(file, item.value, position(item), 0, events))) break;
      }
    } finally {
      // Whatever was read before an error or a limit is still scanned to its end.
      if (raw) for (const chunk of raw.end()) await this.scan(chunk);
      if (batcher) for (const chunk of batcher.end()) await this.scan(chunk);
    }
  }

  /** One JSON value of a file; false when the file must not be read further. */
  private async value(
    file: FileRead,
    value: unknown,
    at: string | undefined,
    nesting: number,
    events: () => SessionEventBatcher,
  ): Promise<boolean> {
    if (Array.isArray(value)) {
      if (nesting >= MAX_ARRAY_NESTING)
        return this.fileError(file, 'arrays nested in arrays: not records', labelOf(file, at));
      for (const v of value) if (!(await this.value(file, v, at, nesting + 1, events))) return false;
      return true;
    }
    if (typeof value !== 'object' || value === null)
      return this.fileError(file, 'not a JSON object', labelOf(file, at));
    const o = value as Record<string, unknown>;
    if (Array.isArray(o.Records)) {
      for (const r of o.Records) if (!(await this.record(file, r, at))) return false;
      return true;
    }
    const shape = detectTranscriptShape(o);
    const origin = labelOf(file, at);
    if (shape === 'subscription') return this.readResult(file, readSubscription(o, origin), at);
    if (shape === 'data-message') return this.readResult(file, readDataMessage(o, origin), at);
    if (shape === 'streaming-jsonl') {
      const r = events().add(o);
      if ('error' in r) return this.fileError(file, r.error, labelOf(file, at));
      for (const chunk of r.chunks) await this.scan(chunk);
      return true;
    }
    if (o['detail-type'] === 'SSM Sentinel Finding') return true; // our own output, replayed from the archive
    return this.record(file, o, at);
  }

  private async record(file: FileRead, raw: unknown, at: string | undefined): Promise<boolean> {
    if (++file.records > this.limits.recordsPerFile) {
      this.stop(file, `more than ${this.limits.recordsPerFile} records: the rest of the file is not read`);
      return false;
    }
    this.records++;
    const read = readRecord(raw, this.recordDeps.ctx);
    if (read.error !== undefined) return this.fileError(file, read.error, labelOf(file, at));
    if (read.event) {
      const held: HeldEvent = { file, at, event: read.event };
      for (const due of this.order.push(held, Date.parse(read.event.time))) await this.classify(due);
    }
    this.progress(file.name);
    return !file.stopped;
  }

  /** One event through the pipeline; its error counts against the file it came from. */
  private async classify({ file, at, event }: HeldEvent) {
    const t = Date.parse(event.time);
    if (Number.isFinite(t) && (this.latestMs === undefined || t > this.latestMs)) this.latestMs = t;
    const { error } = await processEvent(event, this.recordDeps, this.emitAll);
    if (error) this.fileError(file, error, labelOf(file, at));
  }

  /** Every record still held for ordering, oldest first. */
  async drainRecords() {
    for (const held of this.order.drain()) await this.classify(held);
  }

  /**
   * End of input: shell sessions without a transcript are judged as the sweep judges them, as of the
   * latest event read, and only where transcripts are part of the input: an account and Region count
   * as streaming when a session of theirs has a transcript here (a CloudTrail archive alone says
   * nothing about transcripts and stays quiet).
   */
  async judgeSilence() {
    if (!this.opts.config.missingTranscript.enabled || this.latestMs === undefined) return;
    const now = this.latestMs + 1;
    for (const id of this.sessionOrigins.keys()) {
      const record = await this.sessions.get(id);
      if (!record?.account || !record.region) continue;
      await this.watch.arrived(id, now, { account: record.account, region: record.region });
    }
    await sweepSilence(
      { config: this.opts.config, sessions: this.sessions, watch: this.watch },
      now,
      this.emitAll,
      { fromMs: Number.NEGATIVE_INFINITY },
    );
  }

  private async readResult(file: FileRead, result: ReadResult, at: string | undefined): Promise<boolean> {
    for (const e of result.errors) if (!this.fileError(file, e.message, itemLabel(e))) return false;
    // CloudTrail delivered through CloudWatch Logs: records like an archive's, never transcript text.
    for (const r of result.cloudTrail ?? []) if (!(await this.record(file, r, at))) return false;
    for (const chunk of result.chunks) await this.scan(chunk);
    return true;
  }

  private itemError(e: ItemError) {
    this.error(itemLabel(e), e.message);
  }

  private async scan(chunk: TranscriptChunk) {
    this.deliveries++;
    this.sessionOrigins.set(chunk.sessionId, chunk.origin);
    const result = await processChunk(chunk, this.chunkDeps, this.keepTranscriptFindings);
    for (const e of result.errors) this.itemError(e);
    this.progress(chunk.origin);
  }

  /** Transcript findings are printed at the end: later deliveries update the counts of the same ids. */
  private readonly keepTranscriptFindings = async (findings: Finding[]) => {
    for (const f of findings) this.transcriptFindings.set(f.id, f);
  };

  /** End of input: whatever is held back per session (partial line, packed PII text) is scanned now. */
  async flushSessions() {
    for (const [sessionId, origin] of this.sessionOrigins) {
      const final = { sessionId, events: [], origin, final: true };
      const result = await processChunk(final, this.chunkDeps, this.keepTranscriptFindings);
      for (const e of result.errors) this.itemError(e);
    }
    for (const f of this.transcriptFindings.values()) await this.emit(f);
  }

  private readonly emitAll = async (findings: Finding[]) => {
    for (const f of findings) await this.emit(f);
  };

  private async emit(f: Finding) {
    // Finding ids are deterministic: the same event met twice gives the same finding, printed once.
    if (this.seen.has(f.id)) return;
    this.seen.add(f.id);
    if (this.seen.size > this.limits.seenIds) this.seen.delete(this.seen.values().next().value as string);
    if (this.maxSeverity === undefined || atLeast(f.severity, this.maxSeverity))
      this.maxSeverity = f.severity;
    if (this.opts.json) await this.io.out(`${JSON.stringify(f)}\n`);
    this.bySeverity.set(f.severity, (this.bySeverity.get(f.severity) ?? 0) + 1);
    this.report?.add(f);
    // --json keeps nothing (it streams), unless an HTML report needs rows.
    if (this.opts.json && !this.report) return;
    if (this.kept.length < this.limits.kept) this.kept.push(f);
    else this.dropped++;
  }

  /** The HTML report of `--html`; a file that cannot be written is an error (exit 2), like bad input. */
  async writeReport(path: string, findings: readonly Finding[]) {
    const sessions = new Map<string, SessionRecord>();
    for (const f of findings) {
      if (f.sessionId === undefined || sessions.has(f.sessionId)) continue;
      const record = await this.sessions.get(f.sessionId);
      if (record) sessions.set(f.sessionId, record);
    }
    const html = buildReport({
      counts: this.report!.result(),
      findings,
      sessions,
      targetTags: this.opts.targetTags,
      generatedAt: new Date().toISOString(),
    });
    try {
      await writeFile(path, html, 'utf8');
      this.io.err(`HTML report: ${field(path)}\n`);
    } catch (e) {
      this.error('--html', `cannot write the report: ${describeError(e)}`);
    }
  }

  private found(): number {
    let n = 0;
    for (const c of this.bySeverity.values()) n += c;
    return n;
  }

  private progress(where: string) {
    if (!this.io.progress) return;
    const now = performance.now();
    if (now - this.lastProgress < 250) return;
    this.lastProgress = now;
    const name = field(where.length > 50 ? `…${where.slice(-49)}` : where);
    this.io.err(
      `\r\u001b[K${this.records} records, ${this.deliveries} deliveries, ${this.found()} findings — ${name}`,
    );
  }

  endProgress() {
    if (this.io.progress && this.lastProgress) {
      this.io.err('\r\u001b[K');
      this.lastProgress = 0;
    }
  }

  /**
   * `--pii comprehend` loads the SDK adapter only when asked for (the usual AWS credential chain).
   * Without a region or credentials it says so once and scans with the local detector; a Comprehend
   * failure later does the same from then on, so personal data is never left unscanned.
   */
  private async piiScanner(): Promise<PiiScanner | undefined> {
    const { opts } = this;
    if (opts.pii !== 'comprehend') return piiScanner(opts.pii, opts.config);
    const { ComprehendPiiApi, createComprehendClient } = await import('#shared/aws/comprehend');
    const client = createComprehendClient();
    const missing = await missingSetup(client.config);
    if (missing) {
      this.error(
        '--pii comprehend',
        `Comprehend unavailable: ${missing}; personal data is scanned with the local detector`,
      );
      return piiScanner('local', opts.config);
    }
    const comprehend = piiScanner('comprehend', opts.config, new ComprehendPiiApi(client));
    return withLocalFallback(comprehend!, opts.config, (e) =>
      this.error(
        '--pii comprehend',
        `Comprehend unavailable (${describeError(e)}); personal data is scanned with the local detector from here on`,
      ),
    );
  }
}

/** What the AWS client lacks to call Comprehend at all, asked before the first document. */
async function missingSetup(config: {
  region: () => Promise<string>;
  credentials: (...args: never[]) => Promise<unknown>;
}): Promise<string | undefined> {
  try {
    if (!(await config.region())) return 'no AWS region (set AWS_REGION)';
  } catch {
    return 'no AWS region (set AWS_REGION)';
  }
  try {
    await config.credentials();
  } catch {
    return 'no AWS credentials';
  }
  return undefined;
}

function labelOf(file: FileRead, at: string | undefined): string {
  return at ? `${file.name}: ${at}` : file.name;
}

/** A reader's error: its origin, and the log event (0-based index there) when it names one. */
function itemLabel(e: ItemError): string {
  return e.index === undefined ? e.origin : `${e.origin}: log event ${e.index + 1}`;
}

/** `line N` in JSON Lines, `record N` elsewhere (both 1-based). */
function position(item: InputItem & { type: 'value' | 'error' }): string | undefined {
  if (item.line !== undefined) return `line ${item.line}`;
  return item.index === undefined ? undefined : `record ${item.index + 1}`;
}
