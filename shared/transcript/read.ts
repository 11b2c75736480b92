import { gunzipSync } from 'node:zlib';
import { splitPrompt } from './commands';
import type { ItemError, TranscriptChunk } from './types';

/**
 * Readers for every session-log shape the SSM agent and CloudWatch Logs produce. Each returns chunks
 * and per-item errors; none throws, whatever the input.
 */

export type TranscriptShape = 'subscription' | 'data-message' | 'streaming-jsonl' | 'raw-log';

export interface ReadResult {
  chunks: TranscriptChunk[];
  errors: ItemError[];
}

type Owner = NonNullable<TranscriptChunk['owner']>;
type ChunkEvent = TranscriptChunk['events'][number];

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
  const head = sample.trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    if (/^\{\s*"awslogs"\s*:/.test(head)) return 'subscription';
    if (/"messageType"\s*:/.test(head) && /"logEvents"\s*:/.test(head)) return 'data-message';
    if (/"sessionData"\s*:/.test(head)) return 'streaming-jsonl';
    return undefined;
  }
  if (
    head.startsWith('Script started on ') ||
    head.includes('\u001b[') ||
    head.includes('Windows PowerShell transcript start') ||
    head.split('\n', 40).some((line) => splitPrompt(line) !== undefined)
  ) {
    return 'raw-log';
  }
  return undefined;
}

/** Any transcript file: auto-detects the shape (gzip too) and reads it. */
export function readTranscriptFile(data: Uint8Array | string, fileName: string): ReadResult {
  try {
    let bytes = typeof data === 'string' ? undefined : data;
    if (bytes && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) bytes = gunzipSync(bytes);
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
    return fail(fileName, `unreadable: ${errorText(e)}`);
  }
}

/** CloudWatch Logs subscription payload `{"awslogs":{"data": base64(gzip(JSON))}}`. */
export function readSubscription(payload: unknown, origin: string): ReadResult {
  try {
    const data = isObject(payload) && isObject(payload.awslogs) ? payload.awslogs.data : undefined;
    if (typeof data !== 'string' || !data)
      return fail(origin, 'not a subscription payload (no awslogs.data)');
    if (!/^[A-Za-z0-9+/=\s]*$/.test(data)) return fail(origin, 'awslogs.data is not base64');
    let json: string;
    try {
      json = decoder.decode(gunzipSync(Buffer.from(data, 'base64')));
    } catch (e) {
      return fail(origin, `awslogs.data is not gzip: ${errorText(e)}`);
    }
    const value = parseJson(json);
    if (!value.ok) return fail(origin, `awslogs.data is not JSON: ${value.error}`);
    return readDataMessage(value.value, origin);
  } catch (e) {
    return fail(origin, `unreadable subscription payload: ${errorText(e)}`);
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
  return { chunks: [...bySession.values()], errors };
}

/** Streaming session log events, one JSON object per line (`sessionData` arrays). */
export function readStreamingJsonl(text: string, origin: string): ReadResult {
  const errors: ItemError[] = [];
  const bySession = new Map<string, TranscriptChunk>();
  let index = 0;
  for (const line of text.split('\n')) {
    index++;
    if (!line.trim()) continue;
    const parsed = parseJson(line);
    if (!parsed.ok) {
      errors.push({ origin, index, message: `line ${index} is not JSON: ${parsed.error}` });
      continue;
    }
    const session = isObject(parsed.value) ? sessionEvent(parsed.value) : 'not a JSON object';
    if (typeof session === 'string') {
      errors.push({ origin, index, message: `line ${index}: ${session}` });
      continue;
    }
    if (!session.sessionId) {
      errors.push({ origin, index, message: `line ${index}: session event without sessionId` });
      continue;
    }
    addEvent(bySession, session.sessionId, origin, session.event, session.owner);
  }
  const chunks = [...bySession.values()].map((c) => ({ ...c, final: true }));
  return { chunks, errors };
}

/**
 * Raw session log: S3 / non-streaming CloudWatch (`script` output with ANSI sequences and
 * `Script started/done` framing, `\r\n` or `\r\r\n`) or a PowerShell transcript. The session id is the
 * file name (`<prefix>/<sessionId>.log`).
 */
export function readRawLog(data: string | Uint8Array, fileName: string): ReadResult {
  try {
    let text = typeof data === 'string' ? data : decoder.decode(data);
    const sessionId = sessionIdFromFileName(fileName);
    if (!sessionId) return fail(fileName, 'cannot tell the session id from the file name');
    let time = '';
    let columns: number | undefined;
    if (text.startsWith('Script started on ')) {
      const nl = text.indexOf('\n');
      const header = nl < 0 ? text : text.slice(0, nl);
      text = nl < 0 ? '' : text.slice(nl + 1);
      time = scriptTime(header) ?? '';
      const cols = /\bCOLUMNS="(\d{1,4})"/.exec(header);
      if (cols) columns = Number(cols[1]);
    }
    const footer = text.lastIndexOf('\nScript done on ');
    if (
      footer >= 0 &&
      !text
        .slice(footer + 1)
        .trimEnd()
        .includes('\n')
    )
      text = text.slice(0, footer + 1);
    if (!time) time = powershellTime(text) ?? '';
    const chunk: TranscriptChunk = { sessionId, events: [{ time, text }], origin: fileName, final: true };
    if (columns) chunk.columns = columns;
    return { chunks: [chunk], errors: [] };
  } catch (e) {
    return fail(fileName, `unreadable raw log: ${errorText(e)}`);
  }
}

/** `<dir>/<sessionId>.log[.gz]` → sessionId. */
export function sessionIdFromFileName(fileName: string): string | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  const id = base.replace(/\.gz$/i, '').replace(/\.(log|txt)$/i, '');
  return id || undefined;
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
  const time = typeof o.eventTime === 'string' ? o.eventTime : '';
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

/** The log event's timestamp as ISO text; formatted only when the session event has no time of its own. */
function timestampOf(ev: Record<string, unknown>): string | undefined {
  return typeof ev.timestamp === 'number' ? isoTime(ev.timestamp) : undefined;
}

function isoTime(ms: number): string | undefined {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
}

/** Error text without echoing input: JSON.parse messages can quote the text they choked on. */
function errorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/".*"/s, '"…"').replace(/'.*'/s, "'…'").slice(0, 120);
}

function fail(origin: string, message: string): ReadResult {
  return { chunks: [], errors: [{ origin, message }] };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
