import { constants, gunzipSync } from 'node:zlib';
import { describeError } from '../errors';
import { stableId } from '../ids';
import { splitPrompt } from './commands';
import type { ItemError, TranscriptChunk } from './types';

/**
 * Readers for every session-log shape the SSM agent and CloudWatch Logs produce. Each returns chunks
 * and per-item errors; none throws, whatever the input. Raw logs and streaming JSON Lines are also
 * readable incrementally ({@link RawLogReader}, {@link SessionEventBatcher}) so a file of any size is
 * scanned in bounded pieces.
 */

export type TranscriptShape = 'subscription' | 'data-message' | 'streaming-jsonl' | 'raw-log';

export interface ReadResult {
  chunks: TranscriptChunk[];
  errors: ItemError[];
  /**
   * Set when every log event of the delivery is a CloudTrail record (a trail delivered to CloudWatch
   * Logs, replayed or misrouted): the records, parsed, in delivery order. Never transcript text, so
   * `chunks` is then empty ({@link cloudTrailRecords}).
   */
  cloudTrail?: Record<string, unknown>[];
  /** The account owning the log group (a data message's `owner`, when it is an account id). */
  account?: string;
}

type Owner = NonNullable<TranscriptChunk['owner']>;
type ChunkEvent = TranscriptChunk['events'][number];

/** Decompressed size of one gzip file or buffer; past it the rest is not read (gzip bombs). */
export const MAX_GUNZIP_BYTES = 256 * 1024 * 1024;
/**
 * Decompressed `awslogs.data` of one subscription payload. CloudWatch Logs batches at most 1 MiB of
 * log events per delivery; the JSON around them stays well below this.
 */
export const MAX_SUBSCRIPTION_BYTES = 32 * 1024 * 1024;
/** Raw session-log text handed to the scan per delivery (cut on a line end when there is one). */
export const RAW_CHUNK_CHARS = 1024 * 1024;
/** Streaming session-event text gathered (all sessions of a file together) before it is scanned. */
export const SESSION_BATCH_CHARS = 1024 * 1024;
/**
 * The agent cuts a line longer than its 33 000-byte buffer into consecutive events; an event whose
 * last line is at least this many UTF-8 bytes is taken as possibly cut, and the scan joins the next
 * event to it ({@link mayBeCut}). The raw-log reader ends a delivery on such a line without merging.
 */
export const CUT_EVENT_BYTES = 32_000;
/**
 * A line with no end in sight is cut once this long (a delivery holds at least this much of it):
 * far above CUT_EVENT_BYTES, so the scan continues it in the next delivery.
 */
const LONG_SEGMENT_CHARS = 64 * 1024;
/** The `script` header is one line; this much is waited for before giving up on it. */
const HEADER_CHARS = 64 * 1024;
/** A prompt is at the start of a line: shape detection looks no further (bounded work per line). */
const PROMPT_PROBE_CHARS = 1024;
/**
 * A dash/busybox session (Ubuntu's `sh`) shows only bare prompts: `$ ` and something, or `# ` and a
 * lower-case command word (a Markdown heading or a config comment starts with a capital or a phrase).
 */
const BARE_PROMPT_LINE = /^(?:\$ \S|# [a-z0-9_./~-]{1,64}(?: |$))/;
const SCRIPT_START = 'Script started on ';
const SCRIPT_DONE = 'Script done on ';

const decoder = new TextDecoder('utf-8');
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Which transcript shape a file holds, from its first bytes (or an already parsed JSON value).
 * undefined = not a session log (the CLI then tries its other readers).
 */
export function detectTranscriptShape(sample: string | Uint8Array | object): TranscriptShape | undefined {
  if (sample instanceof Uint8Array)
    return detectTranscriptShape(decoder.decode(sample.subarray(0, 64 * 1024)));
  if (typeof sample === 'object') {
    const o = sample as Record<string, unknown>;
    if (isObject(o.awslogs)) return 'subscription';
    if (typeof o.messageType === 'string' && 'logEvents' in o) return 'data-message';
    if (Array.isArray(o.sessionData)) return 'streaming-jsonl';
    return undefined;
  }
  const head = sample.slice(0, 64 * 1024).trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    if (/^\{\s*"awslogs"\s*:/.test(head)) return 'subscription';
    if (/"messageType"\s*:/.test(head) && /"logEvents"\s*:/.test(head)) return 'data-message';
    if (/"sessionData"\s*:/.test(head)) return 'streaming-jsonl';
    return undefined;
  }
  if (
    head.startsWith(SCRIPT_START) ||
    head.includes('\u001b[') ||
    head.includes('Windows PowerShell transcript start') ||
    head.split('\n', 40).some((line) => {
      const probe = line.slice(0, PROMPT_PROBE_CHARS);
      return BARE_PROMPT_LINE.test(probe) || splitPrompt(probe) !== undefined;
    })
  ) {
    return 'raw-log';
  }
  return undefined;
}

/**
 * Any transcript file held in memory: auto-detects the shape (gzip too) and reads it. The CLI streams
 * files instead; this is for callers that already hold one delivery or a small file.
 */
export function readTranscriptFile(data: Uint8Array | string, fileName: string): ReadResult {
  try {
    let bytes = typeof data === 'string' ? undefined : data;
    if (bytes && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
      const out = gunzipLimited(bytes, MAX_GUNZIP_BYTES);
      if (!out.ok) return fail(fileName, `unreadable: ${out.error}`);
      bytes = out.bytes;
    }
    const text = bytes ? decoder.decode(bytes) : (data as string);
    const shape = detectTranscriptShape(text);
    switch (shape) {
      case 'subscription':
      case 'data-message': {
        const value = parseJson(text);
        if (!value.ok) return fail(fileName, `not valid JSON: ${value.error}`);
        return shape === 'subscription'
          ? readSubscription(value.value, fileName)
          : readDataMessage(value.value, fileName);
      }
      case 'streaming-jsonl':
        return readStreamingJsonl(text, fileName);
      case 'raw-log':
        return readRawLog(text, fileName);
      default:
        return fail(fileName, 'not a session log (no known transcript shape)');
    }
  } catch (e) {
    return fail(fileName, `unreadable: ${describeError(e)}`);
  }
}

/** CloudWatch Logs subscription payload `{"awslogs":{"data": base64(gzip(JSON))}}`. */
export function readSubscription(payload: unknown, origin: string): ReadResult {
  try {
    const data = isObject(payload) && isObject(payload.awslogs) ? payload.awslogs.data : undefined;
    if (typeof data !== 'string' || !data)
      return fail(origin, 'not a subscription payload (no awslogs.data)');
    if (!/^[A-Za-z0-9+/=\s]*$/.test(data)) return fail(origin, 'awslogs.data is not base64');
    const out = gunzipLimited(Buffer.from(data, 'base64'), MAX_SUBSCRIPTION_BYTES);
    if (!out.ok)
      return fail(
        origin,
        out.tooLarge ? `awslogs.data: ${out.error}` : `awslogs.data is not gzip: ${out.error}`,
      );
    const value = parseJson(decoder.decode(out.bytes));
    if (!value.ok) return fail(origin, `awslogs.data is not JSON: ${value.error}`);
    return readDataMessage(value.value, origin);
  } catch (e) {
    return fail(origin, `unreadable subscription payload: ${describeError(e)}`);
  }
}

/** The decoded subscription message. Anything but DATA_MESSAGE (e.g. CONTROL_MESSAGE) is ignored. */
export function readDataMessage(message: unknown, origin: string): ReadResult {
  const errors: ItemError[] = [];
  if (!isObject(message) || typeof message.messageType !== 'string') {
    return fail(origin, 'not a CloudWatch Logs message (no messageType)');
  }
  if (message.messageType !== 'DATA_MESSAGE') return { chunks: [], errors };
  if (!Array.isArray(message.logEvents)) return fail(origin, 'DATA_MESSAGE without logEvents');
  const stream = typeof message.logStream === 'string' ? message.logStream : undefined;
  const cloudTrail = cloudTrailRecords(message.logEvents, stream);
  if (cloudTrail) return { chunks: [], errors, cloudTrail };
  const where = stream ? `${origin} (${stream})` : origin;
  const bySession = new Map<string, TranscriptChunk>();
  message.logEvents.forEach((ev: unknown, index: number) => {
    if (!isObject(ev) || typeof ev.message !== 'string') {
      errors.push({ origin: where, index, message: 'log event without a message string' });
      return;
    }
    const id = typeof ev.id === 'string' ? ev.id : undefined;
    const parsed = ev.message.trimStart().startsWith('{') ? parseJson(ev.message) : undefined;
    if (parsed?.ok && isObject(parsed.value) && 'sessionData' in parsed.value) {
      const session = sessionEvent(parsed.value);
      if (typeof session === 'string') {
        errors.push({ origin: where, index, message: session });
        return;
      }
      const sessionId = session.sessionId ?? stream;
      if (!sessionId) {
        errors.push({ origin: where, index, message: 'log event without a session id or log stream' });
        return;
      }
      // Built field by field (same key order as a spread): spread literals were the slow part here.
      const event: ChunkEvent = {
        time: session.event.time || timestampOf(ev) || '',
        text: session.event.text,
      };
      if (id) event.id = id;
      addEvent(bySession, sessionId, where, event, session.owner);
      return;
    }
    // Non-JSON message: plain session text (non-streaming CloudWatch logging writes the raw output).
    if (!stream) {
      errors.push({ origin: where, index, message: 'plain log event without a log stream (session id)' });
      return;
    }
    const event: ChunkEvent = { time: timestampOf(ev) ?? '', text: ev.message };
    if (id) event.id = id;
    addEvent(bySession, stream, where, event, {});
  });
  const result: ReadResult = { chunks: Array.from(bySession.values()), errors };
  if (typeof message.owner === 'string' && /^\d{12}$/.test(message.owner)) result.account = message.owner;
  return result;
}

/** Longest log event CloudWatch Logs accepts (256 KiB): a longer message is no CloudTrail record. */
const MAX_EVENT_CHARS = 256 * 1024;
const CLOUDTRAIL_VERSION = /^\d{1,2}\.\d{1,2}$/;
const CLOUDTRAIL_SOURCE = /^[a-z0-9.-]{1,100}\.amazonaws\.com$/;

/**
 * The records of a delivery whose log events are all CloudTrail records, else undefined. Decided per
 * delivery, all or nothing: one log group holds either a trail or session logs, so a session whose
 * output happens to be one JSON record stays a session (its other events are text, its stream is
 * named by the session id). Linear: each message is looked at once and parsed at most once, and the
 * first event that is not a record ends the look.
 */
export function cloudTrailRecords(
  events: readonly unknown[],
  stream: string | undefined,
): Record<string, unknown>[] | undefined {
  if (events.length === 0 || (stream !== undefined && sessionIdFromFileName(stream) === stream))
    return undefined;
  const records: Record<string, unknown>[] = [];
  for (const ev of events) {
    if (!isObject(ev) || typeof ev.message !== 'string') return undefined;
    const text = ev.message;
    // Cheap refusals first: session text never parses, streaming session events carry no eventSource.
    if (text.length > MAX_EVENT_CHARS || text.trimStart()[0] !== '{' || !text.includes('"eventSource"'))
      return undefined;
    const parsed = parseJson(text);
    if (!parsed.ok || !isCloudTrailRecord(parsed.value)) return undefined;
    records.push(parsed.value);
  }
  return records;
}

/** The members every CloudTrail record has (management, data, service and Insights events alike). */
export function isCloudTrailRecord(v: unknown): v is Record<string, unknown> {
  if (!isObject(v) || 'sessionData' in v) return false;
  const { eventVersion, eventSource, eventName, eventTime } = v;
  return (
    typeof eventVersion === 'string' &&
    CLOUDTRAIL_VERSION.test(eventVersion) &&
    typeof eventSource === 'string' &&
    CLOUDTRAIL_SOURCE.test(eventSource) &&
    typeof eventName === 'string' &&
    eventName.length > 0 &&
    eventName.length <= 128 &&
    typeof eventTime === 'string' &&
    validTime(eventTime) !== undefined &&
    (v.userIdentity === undefined ? typeof v.eventType === 'string' : isObject(v.userIdentity))
  );
}

/** Base64 characters of `awslogs.data` decoded to sniff a payload (a few KiB of gzip). */
const SNIFF_BASE64_CHARS = 4096;
/** Ceiling on what those few KiB may inflate to (a bomb stays small). */
const SNIFF_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Whether the first bytes of a subscription payload or DATA_MESSAGE file look like CloudTrail records
 * (the first log event's message has CloudTrail members): a hint, from the head alone, for a reader
 * that orders its input (replay reads CloudTrail before session logs). The payload's readers decide
 * for good ({@link cloudTrailRecords}).
 */
export function looksLikeCloudTrailDelivery(head: Uint8Array | string): boolean {
  let text = typeof head === 'string' ? head : decoder.decode(head.subarray(0, 64 * 1024));
  if (detectTranscriptShape(text) === 'subscription') {
    const key = text.indexOf('"data"');
    const colon = key < 0 ? -1 : text.indexOf('"', text.indexOf(':', key) + 1);
    if (colon < 0) return false;
    let end = colon + 1;
    while (end < text.length && end - colon <= SNIFF_BASE64_CHARS && isBase64Char(text.charCodeAt(end)))
      end++;
    const b64 = text.slice(colon + 1, end);
    const bytes = Buffer.from(b64.slice(0, b64.length - (b64.length % 4)), 'base64');
    try {
      // A sync flush inflates what the cut gzip holds without asking for its end.
      text = decoder.decode(
        gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: SNIFF_OUTPUT_BYTES }),
      );
    } catch {
      return false;
    }
  }
  const events = text.indexOf('"logEvents"');
  const message = events < 0 ? -1 : text.indexOf('"message"', events);
  if (message < 0) return false;
  const first = text.slice(message, message + 64 * 1024);
  return (
    /^"message"\s*:\s*"\{/.test(first.slice(0, 64)) &&
    first.includes('\\"eventSource\\"') &&
    first.includes('\\"eventName\\"') &&
    !first.includes('\\"sessionData\\"')
  );
}

function isBase64Char(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2b ||
    c === 0x2f ||
    c === 0x3d
  );
}

/**
 * Streaming session-log events (objects with `sessionData`) gathered into deliveries per session:
 * fed one parsed event at a time, it hands back chunks whenever {@link SESSION_BATCH_CHARS} of text
 * are held, and a final chunk per session at the end. Events get an id from their position in the
 * session, so identical output later in the file is never taken for a re-delivery.
 */
export class SessionEventBatcher {
  private pending = new Map<string, TranscriptChunk>();
  /** Events seen per session (all sessions of the file: their number bounds this map). */
  private readonly counts = new Map<string, number>();
  private chars = 0;

  constructor(private readonly origin: string) {}

  /** One parsed line; a message (no value in it) when it is not a usable session event. */
  add(value: unknown): { error: string } | { chunks: TranscriptChunk[] } {
    const session = isObject(value) ? sessionEvent(value) : 'not a JSON object';
    if (typeof session === 'string') return { error: session };
    if (!session.sessionId) return { error: 'session event without sessionId' };
    const n = this.counts.get(session.sessionId) ?? 0;
    this.counts.set(session.sessionId, n + 1);
    const event = session.event;
    event.id = `s:${stableId(n, event.time, event.text)}`;
    addEvent(this.pending, session.sessionId, this.origin, event, session.owner);
    this.chars += event.text.length;
    return { chunks: this.chars >= SESSION_BATCH_CHARS ? this.take(false) : [] };
  }

  /** End of the file: what is held, and a final (possibly empty) chunk for every session seen. */
  end(): TranscriptChunk[] {
    for (const sessionId of this.counts.keys()) {
      if (!this.pending.has(sessionId))
        this.pending.set(sessionId, { sessionId, events: [], origin: this.origin });
    }
    return this.take(true);
  }

  private take(final: boolean): TranscriptChunk[] {
    const chunks = Array.from(this.pending.values());
    if (final) for (const c of chunks) c.final = true;
    this.pending = new Map();
    this.chars = 0;
    return chunks;
  }
}

/** Streaming session log events, one JSON object per line (`sessionData` arrays), held in memory. */
export function readStreamingJsonl(text: string, origin: string): ReadResult {
  const errors: ItemError[] = [];
  const chunks: TranscriptChunk[] = [];
  const batcher = new SessionEventBatcher(origin);
  let line = 0;
  let from = 0;
  while (from <= text.length) {
    const nl = text.indexOf('\n', from);
    const end = nl < 0 ? text.length : nl;
    const raw = text.slice(from, end);
    from = end + 1;
    line++;
    if (!raw.trim()) continue;
    // `index` is the 1-based line number here.
    const parsed = parseJson(raw);
    if (!parsed.ok) {
      errors.push({ origin, index: line, message: `line ${line} is not JSON: ${parsed.error}` });
      continue;
    }
    const r = batcher.add(parsed.value);
    if ('error' in r) errors.push({ origin, index: line, message: `line ${line}: ${r.error}` });
    else for (const c of r.chunks) chunks.push(c);
  }
  for (const c of batcher.end()) chunks.push(c);
  return { chunks, errors };
}

/**
 * Raw session log (S3 / non-streaming CloudWatch `script` output with ANSI sequences and `Script
 * started/done` framing, or a PowerShell transcript), read incrementally: text goes in as it is
 * read, deliveries of about {@link RAW_CHUNK_CHARS} come out, cut after a line end so the scan
 * numbers lines as if it had the whole file; the last one is final. Memory: one delivery.
 */
export class RawLogReader {
  private pieces: string[] = [];
  private size = 0;
  private headerDone = false;
  private timeDone = false;
  private time = '';
  private columns: number | undefined;
  private delivered = 0;
  private readonly chunkChars: number;

  /** `chunkChars`: text per delivery, default RAW_CHUNK_CHARS (tests make it small to cross many cuts). */
  constructor(
    private readonly origin: string,
    private readonly sessionId: string,
    options: { chunkChars?: number } = {},
  ) {
    this.chunkChars = options.chunkChars ?? RAW_CHUNK_CHARS;
  }

  /** More text; returns the deliveries now complete (none until enough text is held). */
  push(text: string): TranscriptChunk[] {
    if (!text) return [];
    this.pieces.push(text);
    this.size += text.length;
    if (!this.headerDone) {
      // The header is the first line: wait for its end (bounded) before deciding.
      if (this.size < HEADER_CHARS && !text.includes('\n')) return [];
      this.readHeader();
    }
    const chunk = this.size >= this.chunkChars ? this.cut(false) : undefined;
    return chunk ? [chunk] : [];
  }

  /** End of input: the rest, without the `Script done` footer, as the final delivery. */
  end(): TranscriptChunk[] {
    if (!this.headerDone) this.readHeader();
    return [this.cut(true)];
  }

  private readHeader(): void {
    this.headerDone = true;
    const s = this.pieces.join('');
    if (!s.startsWith(SCRIPT_START)) {
      this.pieces = [s];
      return;
    }
    const nl = s.indexOf('\n');
    const header = nl < 0 ? s : s.slice(0, nl);
    const rest = nl < 0 ? '' : s.slice(nl + 1);
    this.pieces = [rest];
    this.size = rest.length;
    this.time = scriptTime(header.slice(0, 256)) ?? '';
    this.timeDone = this.time !== '';
    const cols = /\bCOLUMNS="(\d{1,4})"/.exec(header.slice(0, 4096));
    if (cols) this.columns = Number(cols[1]);
  }

  /** The next delivery; undefined when no cut is possible yet (a short line still open). */
  private cut(final: true): TranscriptChunk;
  private cut(final: false): TranscriptChunk | undefined;
  private cut(final: boolean): TranscriptChunk | undefined {
    let text = this.pieces.join('');
    let rest = '';
    if (final) {
      text = withoutFooter(text);
    } else {
      const nl = text.lastIndexOf('\n');
      if (nl >= 0) {
        let end = nl;
        // A last `Script done on` line may be the footer: held back until the end is known.
        const prev = text.lastIndexOf('\n', nl - 1);
        if (prev >= 0 && text.startsWith(SCRIPT_DONE, prev + 1)) end = prev;
        rest = text.slice(end + 1);
        text = text.slice(0, end);
        // The scan joins the next event to one ending in a long line: give it the line end explicitly.
        if (mayBeCut(text)) rest = `\n${rest}`;
      } else if (text.length < LONG_SEGMENT_CHARS) {
        this.pieces = [text];
        return undefined;
      }
      // Else one line longer than a delivery: cut inside it; being long, the scan continues it.
    }
    if (!this.timeDone) {
      this.time = powershellTime(text) ?? '';
      this.timeDone = true;
    }
    this.pieces = rest ? [rest] : [];
    this.size = rest.length;
    const event: ChunkEvent = { time: this.time, text, id: `r:${stableId(this.delivered++, text)}` };
    const chunk: TranscriptChunk = { sessionId: this.sessionId, events: [event], origin: this.origin };
    if (final) chunk.final = true;
    if (this.columns) chunk.columns = this.columns;
    return chunk;
  }
}

/** A raw session log held in memory (see {@link RawLogReader}); the session id comes from the file name. */
export function readRawLog(data: string | Uint8Array, fileName: string): ReadResult {
  try {
    const text = typeof data === 'string' ? data : decoder.decode(data);
    const sessionId = rawLogSessionId(fileName);
    if (!sessionId) return fail(fileName, 'cannot tell the session id from the file name');
    const reader = new RawLogReader(fileName, sessionId);
    const chunks: TranscriptChunk[] = [];
    for (let i = 0; i < text.length; i += RAW_CHUNK_CHARS) {
      for (const c of reader.push(text.slice(i, i + RAW_CHUNK_CHARS))) chunks.push(c);
    }
    for (const c of reader.end()) chunks.push(c);
    return { chunks, errors: [] };
  } catch (e) {
    return fail(fileName, `unreadable raw log: ${describeError(e)}`);
  }
}

/**
 * SSM session ids: the IAM user or role session name, `-`, then a random suffix (17 hex digits in
 * older ids, 26 lowercase letters and digits today). Length-checked before the (anchored) match.
 */
const SESSION_ID = /^[\w.@+=,-]{1,70}-[a-z0-9]{17,32}$/;
const MAX_SESSION_ID = 96;

/** `<dir>/<sessionId>.log[.gz]` → sessionId, when the name looks like one; otherwise undefined. */
export function sessionIdFromFileName(fileName: string): string | undefined {
  const base = baseName(fileName);
  const id = base.replace(/\.gz$/i, '').replace(/\.(log|txt)$/i, '');
  return id.length <= MAX_SESSION_ID && SESSION_ID.test(id) ? id : undefined;
}

/**
 * The session a raw log belongs to: the session id its name carries (`<sessionId>.log`, as Session
 * Manager writes them), else the file path itself, so two logs never merge into one session because
 * they share a name like `raw.log`. Empty only for an empty path.
 */
export function rawLogSessionId(fileName: string): string | undefined {
  return sessionIdFromFileName(fileName) ?? (baseName(fileName) ? fileName : undefined);
}

function baseName(fileName: string): string {
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  return fileName.slice(slash + 1);
}

/**
 * Whether the last line of an event's text may have been cut by the agent (see CUT_EVENT_BYTES): only
 * a single line longer than its read buffer is cut, so it is the event's last line that must be long.
 */
export function mayBeCut(text: string): boolean {
  const last = text.slice(text.lastIndexOf('\n') + 1);
  return last.length * 3 >= CUT_EVENT_BYTES && Buffer.byteLength(last, 'utf8') >= CUT_EVENT_BYTES;
}

/** Drops a `Script done on …` footer when it is the last line. */
function withoutFooter(text: string): string {
  const nl = text.lastIndexOf(`\n${SCRIPT_DONE}`);
  const at = nl >= 0 ? nl + 1 : text.startsWith(SCRIPT_DONE) ? 0 : -1;
  if (at < 0 || text.slice(at).trimEnd().includes('\n')) return text;
  return text.slice(0, at);
}

function sessionEvent(
  o: Record<string, unknown>,
): string | { sessionId?: string; event: ChunkEvent; owner: Owner } {
  const data = o.sessionData;
  if (!Array.isArray(data)) return 'session event without a sessionData array';
  if (!data.every((l) => typeof l === 'string')) return 'sessionData holds a non-string line';
  const owner: Owner = {};
  if (isObject(o.userIdentity) && typeof o.userIdentity.arn === 'string') owner.arn = o.userIdentity.arn;
  if (isObject(o.target) && typeof o.target.id === 'string') owner.target = o.target.id;
  if (typeof o.runAsUser === 'string') owner.runAsUser = o.runAsUser;
  if (typeof o.awsRegion === 'string') owner.region = o.awsRegion;
  const time = typeof o.eventTime === 'string' ? (validTime(o.eventTime) ?? '') : '';
  const sessionId = typeof o.sessionId === 'string' && o.sessionId ? o.sessionId : undefined;
  return { sessionId, event: { time, text: (data as string[]).join('\n') }, owner };
}

function addEvent(
  bySession: Map<string, TranscriptChunk>,
  sessionId: string,
  origin: string,
  event: ChunkEvent,
  owner: Owner,
): void {
  let chunk = bySession.get(sessionId);
  if (!chunk) {
    chunk = { sessionId, events: [], origin };
    bySession.set(sessionId, chunk);
  }
  chunk.events.push(event);
  // The chunk's own owner object (made here, not shared yet): merged in place, keys in the same order.
  if (hasKeys(owner)) chunk.owner = Object.assign(chunk.owner ?? {}, owner);
}

/** `Object.keys(o).length > 0` without building the array (once per log event). */
function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function scriptTime(header: string): string | undefined {
  const m = /^Script started on (\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})([+-]\d{2}:?\d{2}|Z)?/.exec(header);
  if (!m) return undefined;
  const d = new Date(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function powershellTime(text: string): string | undefined {
  const m = /^Start time: (\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\r?$/m.exec(text.slice(0, 4096));
  if (!m) return undefined;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/**
 * An event time as given when it is an ISO-8601 date-time, else undefined: the time becomes the
 * finding's time, printed as is, so anything else in it (a planted token) must not pass.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
function validTime(text: string): string | undefined {
  if (text.length > 40 || !ISO_TIME.test(text)) return undefined;
  return Number.isNaN(Date.parse(text)) ? undefined : text;
}

/** The log event's timestamp as ISO text; formatted only when the session event has no time of its own. */
function timestampOf(ev: Record<string, unknown>): string | undefined {
  return typeof ev.timestamp === 'number' ? isoTime(ev.timestamp) : undefined;
}

function isoTime(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** gunzip with a ceiling on the output: a small bomb must not take the memory of a large file. */
function gunzipLimited(
  bytes: Uint8Array,
  limit: number,
): { ok: true; bytes: Uint8Array } | { ok: false; error: string; tooLarge?: boolean } {
  try {
    return { ok: true, bytes: gunzipSync(bytes, { maxOutputLength: limit }) };
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE')
      return {
        ok: false,
        tooLarge: true,
        error: `decompressed data larger than ${mib(limit)} MiB (the limit)`,
      };
    return { ok: false, error: describeError(e) };
  }
}

function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: describeError(e) };
  }
}

function fail(origin: string, message: string): ReadResult {
  return { chunks: [], errors: [{ origin, message }] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
