import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { type PiiMode, piiScanner, transcriptDetectors } from '../shared/engine';
import type { Config } from '../shared/model/config';
import { atLeast, compareFindings, type Finding, type Severity } from '../shared/model/finding';
import { classifyRecord } from '../shared/session/classify';
import type { ClassifyContext } from '../shared/session/types';
import {
  MemoryCarryOverStore,
  MemorySessionStore,
  MemoryWindowStore,
  StaticTagSource,
} from '../shared/state/memory';
import {
  detectTranscriptShape,
  type ReadResult,
  readDataMessage,
  readSubscription,
  readTranscriptFile,
} from '../shared/transcript/read';
import { scanTranscript } from '../shared/transcript/scan';
import type {
  ItemError,
  PiiScanner,
  TranscriptCarry,
  TranscriptChunk,
  TranscriptContext,
} from '../shared/transcript/types';
import { describe, type InputItem, listFiles, openBytes, readItems } from './input';
import { formatTable, severityCounts } from './table';

export type { PiiMode };

export interface ReplayOptions {
  paths: string[];
  json: boolean;
  failOn?: Severity;
  config: Config;
  targetTags: Record<string, Record<string, string>>;
  pii: PiiMode;
  stats: boolean;
}

export interface ReplayIO {
  /** May return a promise: a slow reader of stdout then slows the replay instead of filling memory. */
  out(s: string): void | Promise<void>;
  err(s: string): void;
  /** Draw a progress line on stderr (only when it is a terminal). */
  progress: boolean;
  /** Table width in characters. */
  width?: number;
}

export interface ReplayResult {
  exitCode: number;
  findings: Finding[];
  errors: string[];
}

/** Findings kept for the table (not with --json); beyond this only counts are kept (a 1 GB archive must not fill memory). */
const MAX_KEPT = 50_000;
/**
 * Session start records remembered for enrichment and resume checks; the oldest are forgotten past
 * this (about 100 MB), so a multi-GB archive replays in bounded memory.
 */
const MAX_SESSIONS = 100_000;

/**
 * `ssm-sentinel replay`: CloudTrail/EventBridge input first (so transcripts can be enriched with the
 * principal, source IP and kind of their StartSession), then every transcript, then a final flush per
 * session. Bad input is reported per file and record; everything else is still processed.
 */
export async function replay(opts: ReplayOptions, io: ReplayIO): Promise<ReplayResult> {
  const started = performance.now();
  const run = new Run(opts, io, await piiScannerFor(opts));
  const transcriptFiles: string[] = [];
  for await (const entry of listFiles(opts.paths)) {
    if ('error' in entry) run.error(entry.file, undefined, entry.error);
    else if ((await run.eventsFile(entry.file)) === 'transcript') transcriptFiles.push(entry.file);
  }
  for (const file of transcriptFiles) await run.transcriptFile(file);
  await run.flushSessions();
  run.endProgress();

  const findings = run.kept.sort(compareFindings);
  if (!opts.json) await io.out(formatTable(findings, io.width));
  const summary = `${severityCounts(run.bySeverity)} from ${run.files} file(s), ${run.records} record(s), ${run.deliveries} transcript delivery(ies)`;
  io.err(`${summary}${run.errors.length ? `; ${run.errors.length} input error(s)` : ''}\n`);
  if (run.dropped) io.err(`(${run.dropped} more findings not kept for the table; use --json for all)\n`);
  if (opts.stats) {
    const seconds = (performance.now() - started) / 1000;
    const maxRssMB = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
    io.err(
      `${JSON.stringify({ seconds: Math.round(seconds * 1000) / 1000, maxRssMB, records: run.records })}\n`,
    );
  }
  const failed =
    opts.failOn !== undefined && run.maxSeverity !== undefined && atLeast(run.maxSeverity, opts.failOn);
  return { exitCode: run.errors.length ? 2 : failed ? 1 : 0, findings, errors: run.errors };
}

class Run {
  readonly errors: string[] = [];
  readonly kept: Finding[] = [];
  readonly bySeverity = new Map<Severity, number>();
  dropped = 0;
  files = 0;
  records = 0;
  deliveries = 0;
  maxSeverity: Severity | undefined;
  private readonly sessions = new MemorySessionStore(MAX_SESSIONS);
  private readonly classifyCtx: ClassifyContext;
  private readonly transcriptCtx: TranscriptContext;
  private readonly detectors = transcriptDetectors();
  /** Transcript findings by id: later deliveries update counts of the same finding. */
  private readonly transcriptFindings = new Map<string, Finding>();
  private readonly sessionOrigins = new Map<string, string>();
  private lastProgress = 0;

  constructor(
    private readonly opts: ReplayOptions,
    private readonly io: ReplayIO,
    pii: PiiScanner | undefined,
  ) {
    this.classifyCtx = {
      config: opts.config,
      sessions: this.sessions,
      windows: new MemoryWindowStore(),
      tags: new StaticTagSource(opts.targetTags),
    };
    this.transcriptCtx = {
      config: opts.config,
      carry: new MemoryCarryOverStore<TranscriptCarry>(),
      pii,
    };
  }

  error(file: string, index: number | undefined, message: string) {
    const where = index === undefined ? file : `${file}: record ${index + 1}`;
    const line = `${where}: ${message}`;
    this.errors.push(line);
    this.endProgress();
    this.io.err(`error: ${line}\n`);
  }

  /** Process a CloudTrail/EventBridge file; returns 'transcript' when the file is a session log instead. */
  async eventsFile(file: string): Promise<'done' | 'transcript'> {
    this.files++;
    let stream: Awaited<ReturnType<typeof openBytes>>;
    try {
      stream = await openBytes(file);
    } catch (e) {
      this.error(file, undefined, `cannot open: ${describe(e)}`);
      return 'done';
    }
    let first = true;
    try {
      for await (const item of readItems(stream)) {
        if (first) {
          first = false;
          if (isTranscriptItem(item)) return 'transcript';
        }
        await this.item(file, item);
      }
    } catch (e) {
      this.error(file, undefined, `cannot read: ${describe(e)}`);
    } finally {
      stream.destroy();
    }
    return 'done';
  }

  private async item(file: string, item: InputItem) {
    if (item.type === 'error') return this.error(file, item.index, item.message);
    if (item.type === 'text') return this.error(file, undefined, 'not a CloudTrail or session-log file');
    await this.value(file, item.value, item.index);
  }

  private async value(file: string, value: unknown, index: number) {
    if (Array.isArray(value)) {
      for (const v of value) await this.value(file, v, index);
      return;
    }
    if (typeof value !== 'object' || value === null) {
      return this.error(file, index, 'not a JSON object');
    }
    const o = value as Record<string, unknown>;
    if (Array.isArray(o.Records)) {
      for (const r of o.Records) await this.record(file, r, index);
      return;
    }
    const shape = detectTranscriptShape(o);
    if (shape === 'subscription') return this.readResult(readSubscription(o, `${file}: record ${index + 1}`));
    if (shape === 'data-message') return this.readResult(readDataMessage(o, `${file}: record ${index + 1}`));
    if (shape === 'streaming-jsonl') {
      return this.error(file, index, 'a streaming session-log event inside a CloudTrail file');
    }
    if (o['detail-type'] === 'SSM Sentinel Finding') return; // our own output, replayed from the archive
    await this.record(file, o, index);
  }

  private async record(file: string, raw: unknown, index: number) {
    this.records++;
    const { findings, error } = await classifyRecord(raw, this.classifyCtx);
    if (error) this.error(file, index, error);
    for (const f of findings) await this.emit(f);
    this.progress(file);
  }

  async transcriptFile(file: string) {
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      return this.error(file, undefined, `cannot read: ${describe(e)}`);
    }
    await this.readResult(readTranscriptFile(data, file));
  }

  private async readResult(result: ReadResult) {
    for (const e of result.errors) this.itemError(e);
    for (const chunk of result.chunks) await this.scan(chunk);
  }

  private itemError(e: ItemError) {
    this.error(e.origin, e.index, e.message);
  }

  private async scan(chunk: TranscriptChunk) {
    this.deliveries++;
    this.sessionOrigins.set(chunk.sessionId, chunk.origin);
    const session = await this.sessions.get(chunk.sessionId);
    const result = await scanTranscript(chunk, { ...this.transcriptCtx, session }, this.detectors);
    for (const e of result.errors) this.itemError(e);
    for (const f of result.findings) this.transcriptFindings.set(f.id, f);
    this.progress(chunk.origin);
  }

  /** End of input: whatever is held back per session (partial line, packed PII text) is scanned now. */
  async flushSessions() {
    for (const [sessionId, origin] of this.sessionOrigins) {
      const session = await this.sessions.get(sessionId);
      const result = await scanTranscript(
        { sessionId, events: [], origin, final: true },
        { ...this.transcriptCtx, session },
        this.detectors,
      );
      for (const e of result.errors) this.itemError(e);
      for (const f of result.findings) this.transcriptFindings.set(f.id, f);
    }
    for (const f of this.transcriptFindings.values()) await this.emit(f);
  }

  private async emit(f: Finding) {
    if (this.maxSeverity === undefined || atLeast(f.severity, this.maxSeverity))
      this.maxSeverity = f.severity;
    if (this.opts.json) await this.io.out(`${JSON.stringify(f)}\n`);
    this.bySeverity.set(f.severity, (this.bySeverity.get(f.severity) ?? 0) + 1);
    if (this.opts.json) return;
    if (this.kept.length < MAX_KEPT) this.kept.push(f);
    else this.dropped++;
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
    const name = where.length > 50 ? `…${where.slice(-49)}` : where;
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
}

function isTranscriptItem(item: InputItem): boolean {
  if (item.type === 'text') return true;
  if (item.type !== 'value') return false;
  const v = item.value;
  return typeof v === 'object' && v !== null && !Array.isArray(v) && detectTranscriptShape(v) !== undefined;
}

/** `--pii comprehend` loads the SDK adapter only when asked for (the usual AWS credential chain). */
async function piiScannerFor(opts: ReplayOptions): Promise<PiiScanner | undefined> {
  if (opts.pii !== 'comprehend') return piiScanner(opts.pii, opts.config);
  const { ComprehendPiiApi, createComprehendClient } = await import('../shared/aws/comprehend');
  return piiScanner('comprehend', opts.config, new ComprehendPiiApi(createComprehendClient()));
}
