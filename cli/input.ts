import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { describeError, InputError } from '#shared/errors';
import { MAX_GUNZIP_BYTES } from '#shared/transcript/read';

/**
 * Streaming input for `replay`: files, directories (recursive, sorted), pipes and stdin; `.gz`
 * detected by magic bytes; JSON values pulled out one by one so a 1 GB CloudTrail archive is never
 * loaded whole, and text handed on in pieces for the same reason.
 *
 * The splitter is hand-written rather than a streaming-JSON library (stream-json): it only finds value
 * boundaries (depth + string state, `indexOf` jumps inside strings) and leaves parsing to JSON.parse,
 * which is what keeps replay near JSON.parse speed (see `npm run bench`, replayPeakRssMB / classifyRatio).
 * Tracking depth there is also what refuses hostile nesting before anything recursive sees it.
 */

/**
 * `index`: 0-based position of the value in the file (record number − 1). `line`: 1-based line of
 * the value in a JSON Lines file (blank lines count), given only there.
 */
export type InputItem =
  | { type: 'value'; value: unknown; index: number; line?: number }
  | { type: 'text'; text: string; blankLines?: number }
  | { type: 'error'; message: string; index?: number; line?: number };

/** Largest single JSON value (one record, event or payload; a line of JSON Lines). Past it: skipped. */
export const MAX_VALUE_BYTES = 64 * 1024 * 1024;
/**
 * Deepest JSON nesting accepted in a value (a CloudTrail record nests about 10 levels). Deeper values
 * are skipped with an error before JSON.parse, so no recursive code (validation, classification,
 * JSON.stringify) ever sees them.
 */
export const MAX_JSON_DEPTH = 64;
/** Bytes gathered to decide the shape of an input (and to sniff a session log). */
export const HEAD_BYTES = 64 * 1024;

const RECORDS_PREFIX = /^\{\s*"Records"\s*:\s*\[/;
const MIB = 1024 * 1024;

/** One input to read: a file, a pipe or stdin. */
export interface Source {
  /** Shown in messages: the path as given, `stdin` for `-`. */
  name: string;
  /** A regular file can be opened again (transcripts are read after the CloudTrail input). */
  reopenable: boolean;
  open(): Readable;
}

export type ListEntry = { source: Source } | { name: string; error: string } | { name: string; note: string };

/** Paths that name the process's own standard input, whatever kind of file it is. */
const STDIN_PATHS = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/**
 * Every input under the given paths, depth-first, in name order. `-` is stdin; pipes, FIFOs and
 * process substitution (`/dev/fd/N`) are read like files when named explicitly. Each real file or
 * directory (device + inode) is visited once, so symlink loops end and a file given twice is read once.
 * Missing paths, sockets and devices become errors; non-regular files met inside a directory are
 * skipped with a note (a FIFO there would block the run).
 */
export async function* listInputs(paths: string[], stdin?: () => Readable): AsyncGenerator<ListEntry> {
  const seen = new Set<string>();
  let stdinTaken = false;
  function* fromStdin(name: string): Generator<ListEntry> {
    if (stdinTaken) return;
    stdinTaken = true;
    const stream = stdin?.();
    if (!stream) yield { name, error: 'standard input is not available' };
    else if ((stream as { isTTY?: boolean }).isTTY)
      yield { name, error: 'standard input is a terminal: pipe or redirect the input into it' };
    else yield { source: { name, reopenable: false, open: () => stream } };
  }
  async function* walk(p: string, explicit: boolean): AsyncGenerator<ListEntry> {
    if (explicit && p === '-') return yield* fromStdin('stdin');
    let s: Awaited<ReturnType<typeof statBig>>;
    try {
      s = await statBig(p);
    } catch (e) {
      return yield { name: p, error: describeError(e) };
    }
    if (explicit && STDIN_PATHS.has(p) && !s.isFile() && !s.isDirectory()) return yield* fromStdin(p);
    const readable = s.isDirectory() || s.isFile() || (s.isFIFO() && explicit);
    const key = `${s.dev}:${s.ino}`;
    if (readable) {
      if (seen.has(key)) return; // the same file or directory again: a symlink loop or a repeated path
      seen.add(key);
    }
    if (s.isDirectory()) {
      let names: string[];
      try {
        names = await readdir(p);
      } catch (e) {
        return yield { name: p, error: describeError(e) };
      }
      for (const n of names.filter((x) => !x.startsWith('.')).sort()) yield* walk(join(p, n), false);
    } else if (s.isFile()) {
      yield { source: fileSource(p, true) };
    } else if (s.isFIFO() && explicit) {
      yield { source: fileSource(p, false) };
    } else if (explicit) {
      yield { name: p, error: 'not a file, directory or pipe' };
    } else {
      yield { name: p, note: 'skipped: not a regular file' };
    }
  }
  for (const p of paths) yield* walk(p, true);
}

function statBig(p: string) {
  return stat(p, { bigint: true });
}

function fileSource(path: string, reopenable: boolean): Source {
  return { name: path, reopenable, open: () => createReadStream(path, { highWaterMark: MIB }) };
}

/**
 * The bytes of an input, gunzipped when they start with the gzip magic (not by name). At most
 * `limit` ({@link MAX_GUNZIP_BYTES}) bytes come out of a gzip stream: past that an InputError ends the input.
 * Ending the iteration early closes the stream.
 */
export async function* decodedBytes(
  stream: AsyncIterable<Buffer | string>,
  limit = MAX_GUNZIP_BYTES,
): AsyncGenerator<Buffer> {
  const it = stream[Symbol.asyncIterator]();
  try {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < 2) {
      const r = await it.next();
      if (r.done) break;
      const b = toBuffer(r.value);
      parts.push(b);
      size += b.length;
    }
    const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      yield* gunzip(head, it, limit);
      return;
    }
    if (head.length) yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield toBuffer(r.value);
  } finally {
    await it.return?.();
  }
}

async function* gunzip(
  head: Buffer,
  it: AsyncIterator<Buffer | string>,
  limit: number,
): AsyncGenerator<Buffer> {
  async function* compressed() {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield toBuffer(r.value);
  }
  const gz = createGunzip();
  // Errors surface on `gz` (pipeline destroys it with the first error of either side).
  pipeline(Readable.from(compressed()), gz, () => undefined);
  let total = 0;
  for await (const b of gz as AsyncIterable<Buffer>) {
    total += b.length;
    if (total > limit) {
      throw new InputError(
        `gzip content larger than ${+(limit / MIB).toFixed(3)} MiB (the limit per file): the rest is not read`,
      );
    }
    yield b;
  }
}

/** A file's decoded bytes, for tests and callers that have a path. */
export async function openBytes(file: string): Promise<AsyncGenerator<Buffer>> {
  return decodedBytes(createReadStream(file, { highWaterMark: MIB }));
}

/**
 * The first {@link HEAD_BYTES} (or all) of a byte stream, and the whole stream again from its start:
 * to decide what an input is before reading it.
 */
export async function peek(
  bytes: AsyncIterator<Buffer>,
): Promise<{ head: Buffer; all: AsyncGenerator<Buffer> }> {
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < HEAD_BYTES) {
    const r = await bytes.next();
    if (r.done) {
      done = true;
      break;
    }
    parts.push(r.value);
    size += r.value.length;
  }
  const head = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  async function* all(): AsyncGenerator<Buffer> {
    try {
      if (head.length) yield head;
      if (done) return;
      for (let r = await bytes.next(); !r.done; r = await bytes.next()) yield r.value;
    } finally {
      await bytes.return?.(undefined);
    }
  }
  return { head, all: all() };
}

/**
 * Read one input stream as JSON values (object, array, `{"Records":[…]}`, JSON Lines, concatenated)
 * or, when it is not JSON, as text in pieces (raw session logs). Errors are items, never exceptions,
 * except a failing stream (read error, corrupt gzip, gzip limit), which ends the input.
 */
export async function* readItems(stream: AsyncIterable<Buffer | string>): AsyncGenerator<InputItem> {
  const it = stream[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let size = 0;
  let atStart = true;
  let blankLines = 0;
  try {
    // Gather enough bytes to decide the shape; leading blanks are dropped as they come (bounded).
    while (size < HEAD_BYTES) {
      const r = await it.next();
      if (r.done) break;
      let b = toBuffer(r.value);
      if (size === 0) {
        const from = skipWhitespace(b, atStart);
        atStart = false;
        blankLines += countNewlines(b, from);
        if (from >= b.length) continue;
        b = b.subarray(from);
      }
      parts.push(b);
      size += b.length;
    }
  } catch (e) {
    yield { type: 'error', message: `cannot read input: ${describeError(e)}` };
    return;
  }
  const first = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await it.next();
        return r.done ? { done: true, value: undefined } : { done: false, value: toBuffer(r.value) };
      },
    }),
  };
  if (first.length === 0) {
    yield { type: 'error', message: 'empty input' };
    return;
  }
  const c = first[0];
  if (c !== 0x7b && c !== 0x5b) {
    yield* readText(first, rest, blankLines);
    return;
  }
  const lead = first.subarray(0, 256).toString('latin1');
  const records = RECORDS_PREFIX.exec(lead);
  if (records) {
    yield* splitValues(first.subarray(records[0].length), rest, 1, true);
  } else if (isJsonLines(first)) {
    yield* splitLines(first, rest, blankLines + 1);
  } else if (c === 0x5b) {
    yield* splitValues(first.subarray(1), rest, 1, false);
  } else {
    yield* splitValues(first, rest, 0, false);
  }
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function skipWhitespace(b: Buffer, atStart: boolean): number {
  let i = 0;
  // Also skips a UTF-8 byte-order mark at the very start.
  if (atStart && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

function countNewlines(b: Buffer, end: number): number {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0 && i < end; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * A first line that is one complete JSON value by itself (balanced brackets, ending at the line end)
 * with a line end after it → JSON Lines. Found by scanning, not parsing: a hostile first line (deep,
 * huge) is then refused line by line like any other.
 */
function isJsonLines(b: Buffer): boolean {
  const nl = b.indexOf(0x0a);
  if (nl < 0) return false;
  let end = nl;
  while (end > 0 && (b[end - 1] === 0x0d || b[end - 1] === 0x20 || b[end - 1] === 0x09)) end--;
  return closesAt(b.subarray(0, end)) === end;
}

/** Where the JSON value starting at byte 0 closes (index after its last bracket), or -1. */
function closesAt(b: Buffer): number {
  let depth = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x22) {
      i = stringEnd(b, i);
      if (i < 0) return -1;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Index of the quote closing the string that opens at `open`: one not preceded by an odd run of backslashes. */
function stringEnd(b: Buffer, open: number): number {
  let q = b.indexOf(0x22, open + 1);
  while (q >= 0) {
    let k = 0;
    while (b[q - 1 - k] === 0x5c) k++;
    if (k % 2 === 0) return q;
    q = b.indexOf(0x22, q + 1);
  }
  return -1;
}

/**
 * True when a JSON text nests deeper than `max` (strings skipped with `indexOf` jumps). Linear:
 * each backslash run is counted once, for the quote that follows it.
 */
export function exceedsDepth(b: Uint8Array, max: number): boolean {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let depth = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0x22) {
      i = stringEnd(buf, i);
      if (i < 0) return false;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

function parseValue(text: string, index: number, line?: number): InputItem {
  try {
    const item: InputItem = { type: 'value', value: JSON.parse(text), index };
    if (line !== undefined) item.line = line;
    return item;
  } catch (e) {
    return withLine({ type: 'error', index, message: describeError(e) }, line);
  }
}

function withLine(item: InputItem & { type: 'error' }, line: number | undefined): InputItem {
  if (line !== undefined) item.line = line;
  return item;
}

const TOO_DEEP = `JSON nested deeper than ${MAX_JSON_DEPTH} levels: skipped`;
const TOO_LARGE = `JSON value larger than ${MAX_VALUE_BYTES / MIB} MiB: skipped`;

/** JSON Lines: every line its own value; a bad line is one error and the next line is read anyway. */
async function* splitLines(
  first: Buffer,
  rest: AsyncIterable<Buffer>,
  firstLine: number,
): AsyncGenerator<InputItem> {
  let index = 0;
  let lineNo = firstLine;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false;
  const flush = function* (line: Buffer): Generator<InputItem> {
    const n = lineNo;
    if (isBlank(line)) return;
    const i = index++;
    if (exceedsDepth(line, MAX_JSON_DEPTH)) {
      yield { type: 'error', index: i, line: n, message: TOO_DEEP };
      return;
    }
    yield parseValue(line.toString('utf8').trim(), i, n);
  };
  for await (const chunk of prepend(first, rest)) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, nl);
      if (skipping) skipping = false;
      else if (carry.length) {
        carry.push(piece);
        yield* flush(Buffer.concat(carry));
      } else yield* flush(piece);
      carry = [];
      carryLen = 0;
      from = nl + 1;
      lineNo++;
    }
    if (from < chunk.length && !skipping) {
      carry.push(chunk.subarray(from));
      carryLen += chunk.length - from;
      if (carryLen > MAX_VALUE_BYTES) {
        yield {
          type: 'error',
          index: index++,
          line: lineNo,
          message: `line longer than ${MAX_VALUE_BYTES / MIB} MiB: skipped`,
        };
        carry = [];
        carryLen = 0;
        skipping = true;
      }
    }
  }
  if (carry.length && !skipping) yield* flush(Buffer.concat(carry));
}

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0d && c !== 0x09) return false;
  }
  return true;
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (first.length) yield first;
  yield* rest;
}

/**
 * Split a sequence of JSON values. `baseDepth` 1 means we are inside an array (or the Records
 * array): values are its elements, separated by commas, ended by `]`. A value nested deeper than
 * MAX_JSON_DEPTH or larger than MAX_VALUE_BYTES is skipped to its end (not kept) and reported.
 */
async function* splitValues(
  first: Buffer,
  rest: AsyncIterable<Buffer>,
  baseDepth: 0 | 1,
  records: boolean,
): AsyncGenerator<InputItem> {
  let index = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];
  let size = 0;
  let closed = false;
  let junk = false;
  let skip: string | undefined;
  let after = false;
  for await (const chunk of prepend(first, rest)) {
    let i = 0;
    let valueStart = depth > 0 ? 0 : -1;
    const n = chunk.length;
    let nextBs = -1;
    if (closed) {
      // After the closing `]` of a bare array only blanks may follow.
      if (skipWhitespace(chunk, false) < n) after = true;
      if (after) break;
      continue;
    }
    while (i < n) {
      if (inString) {
        // Jump to the next quote or backslash: strings are most of the bytes.
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        const q = chunk.indexOf(0x22, i);
        // The next backslash is cached: searching for it from every string start rescanned the rest
        // of a chunk each time when there was none (quadratic; bench: replay).
        if (nextBs < i) {
          nextBs = chunk.indexOf(0x5c, i);
          if (nextBs < 0) nextBs = n;
        }
        const bs = nextBs < n ? nextBs : -1;
        if (q < 0 && bs < 0) {
          i = n;
          break;
        }
        if (bs >= 0 && (q < 0 || bs < q)) {
          escaped = true;
          i = bs + 1;
          continue;
        }
        inString = false;
        i = q + 1;
        continue;
      }
      const c = chunk[i]!;
      if (depth === 0) {
        if (c === 0x7b || c === 0x5b) {
          depth = 1;
          valueStart = i;
          parts = [];
          size = 0;
          junk = false;
          skip = undefined;
        } else if (c === 0x22) {
          // A bare string where a record should be: report once, skip it.
          if (!junk) yield { type: 'error', index: index++, message: 'unexpected data between JSON values' };
          junk = true;
          inString = true;
        } else if (baseDepth === 1 && c === 0x5d) {
          closed = true;
          i++;
          break;
        } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x2c) {
          if (!junk) yield { type: 'error', index: index++, message: 'unexpected data between JSON values' };
          junk = true;
        }
        i++;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (++depth > MAX_JSON_DEPTH && !skip) {
          skip = TOO_DEEP;
          parts = [];
        }
      } else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          if (skip) {
            yield { type: 'error', index: index++, message: skip };
          } else {
            const last = chunk.subarray(valueStart, i + 1);
            // Most values lie within one chunk: decode in place rather than copy through concat.
            let text: string;
            if (parts.length) {
              parts.push(last);
              text = Buffer.concat(parts).toString('utf8');
            } else text = last.toString('utf8');
            yield parseValue(text, index++);
          }
          parts = [];
          size = 0;
          valueStart = -1;
          skip = undefined;
        }
      }
      i++;
    }
    if (closed) {
      if (!records && skipWhitespace(chunk.subarray(i), false) < n - i) after = true;
      if (after || records) break;
      continue;
    }
    if (valueStart >= 0 && depth > 0 && !skip) {
      parts.push(chunk.subarray(valueStart));
      size += chunk.length - valueStart;
      if (size > MAX_VALUE_BYTES) {
        skip = TOO_LARGE;
        parts = [];
      }
    }
  }
  if (after) yield { type: 'error', index, message: 'data after the end of the JSON array: not read' };
  if (depth > 0) {
    yield { type: 'error', index, message: 'truncated JSON at end of input' };
  } else if (baseDepth === 1 && !closed) {
    yield { type: 'error', index, message: 'truncated JSON array at end of input' };
  }
}

/**
 * Text in pieces as read (UTF-8 sequences split across chunks are kept whole). The first piece
 * says how many blank lines were dropped before it while deciding the shape (to number lines).
 */
async function* readText(
  first: Buffer,
  rest: AsyncIterable<Buffer>,
  blankLines: number,
): AsyncGenerator<InputItem> {
  if (looksBinary(first)) {
    yield { type: 'error', message: 'binary data: neither JSON nor a session log' };
    return;
  }
  const decoder = new StringDecoder('utf8');
  const item: InputItem = { type: 'text', text: decoder.write(first) };
  if (blankLines) item.blankLines = blankLines;
  yield item;
  for await (const chunk of rest) {
    const text = decoder.write(chunk);
    if (text) yield { type: 'text', text };
  }
  const tail = decoder.end();
  if (tail) yield { type: 'text', text: tail };
}

/** NUL bytes or a high share of control bytes in the first KiB → not a text log. */
function looksBinary(b: Buffer): boolean {
  const n = Math.min(b.length, 4096);
  let ctrl = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) return true;
    if (c < 0x07 || (c > 0x0d && c < 0x1a) || (c > 0x1b && c < 0x20)) ctrl++;
  }
  return ctrl > n * 0.1;
}
