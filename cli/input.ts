import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Streaming input for `replay`: files and directories (recursive, sorted), `.gz` detected by magic
 * bytes, and JSON values pulled out one by one so a 1 GB CloudTrail archive is never loaded whole.
 *
 * The splitter is hand-written rather than a streaming-JSON library (stream-json): it only finds value
 * boundaries (depth + string state, `indexOf` jumps inside strings) and leaves parsing to JSON.parse,
 * which is what keeps replay near JSON.parse speed (see `npm run bench`, replayPeakRssMB / classifyRatio).
 */

export type InputItem =
  | { type: 'value'; value: unknown; index: number }
  | { type: 'text'; text: string }
  | { type: 'error'; message: string; index?: number };

/** Every file under the given paths, depth-first, in name order. Missing paths become errors. */
export async function* listFiles(
  paths: string[],
): AsyncGenerator<{ file: string } | { file: string; error: string }> {
  for (const p of paths) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(p);
    } catch {
      yield { file: p, error: 'no such file or directory' };
      continue;
    }
    if (s.isDirectory()) {
      const entries = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      yield* listFiles(entries.map((n) => join(p, n)));
    } else if (s.isFile()) {
      yield { file: p };
    }
  }
}

const MAX_VALUE_BYTES = 256 * 1024 * 1024;
const MAX_TEXT_BYTES = 512 * 1024 * 1024;
const RECORDS_PREFIX = /^\{\s*"Records"\s*:\s*\[/;

/** Open a file as a byte stream, transparently gunzipping `.gz` content (by magic bytes, not name). */
export async function openBytes(file: string): Promise<Readable> {
  const head = await new Promise<Buffer>((resolve) => {
    const s = createReadStream(file, { start: 0, end: 1 });
    const parts: Buffer[] = [];
    s.on('data', (b) => parts.push(b as Buffer));
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', () => resolve(Buffer.alloc(0)));
  });
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (head[0] === 0x1f && head[1] === 0x8b) return raw.pipe(createGunzip());
  return raw;
}

/**
 * Read one input stream as JSON values (object, array, `{"Records":[…]}`, JSON Lines, concatenated)
 * or, when it is not JSON, as text (raw session logs). Errors are items, never exceptions.
 */
export async function* readItems(stream: AsyncIterable<Buffer | string>): AsyncGenerator<InputItem> {
  const it = stream[Symbol.asyncIterator]();
  let first = Buffer.alloc(0);
  try {
    // Gather enough bytes to decide the shape.
    while (first.length < 64 * 1024) {
      const r = await it.next();
      if (r.done) break;
      first = Buffer.concat([first, toBuffer(r.value)]);
    }
  } catch (e) {
    yield { type: 'error', message: `cannot read input: ${describe(e)}` };
    return;
  }
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => {
        const r = await it.next();
        return r.done ? { done: true, value: undefined } : { done: false, value: toBuffer(r.value) };
      },
    }),
  };
  const start = skipWhitespace(first, 0);
  if (start >= first.length) {
    yield { type: 'error', message: 'empty input' };
    return;
  }
  const c = first[start];
  if (c !== 0x7b && c !== 0x5b) {
    yield* readText(first, rest);
    return;
  }
  const lead = first.subarray(start, start + 256).toString('latin1');
  const records = RECORDS_PREFIX.exec(lead);
  if (records) {
    yield* splitValues(first.subarray(start + records[0].length), rest, 1);
  } else if (c === 0x5b) {
    yield* splitValues(first.subarray(start + 1), rest, 1);
  } else if (isJsonLines(first, start)) {
    yield* splitLines(first, rest);
  } else {
    yield* splitValues(first.subarray(start), rest, 0);
  }
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function skipWhitespace(b: Buffer, i: number): number {
  // Also skips a UTF-8 byte-order mark.
  if (i === 0 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return i;
}

/** A first line that is a complete JSON object by itself, followed by more input → JSON Lines. */
function isJsonLines(b: Buffer, start: number): boolean {
  const nl = b.indexOf(0x0a, start);
  if (nl < 0) return false;
  const line = b.subarray(start, nl).toString('utf8').trim();
  if (!line.endsWith('}')) return false;
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function parseValue(text: string, index: number): InputItem {
  try {
    return { type: 'value', value: JSON.parse(text), index };
  } catch (e) {
    return { type: 'error', index, message: `invalid JSON (${describe(e)})` };
  }
}

async function* splitLines(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<InputItem> {
  let index = 0;
  let carry: Buffer[] = [];
  let carryLen = 0;
  let skipping = false;
  const flush = function* (line: Buffer): Generator<InputItem> {
    const text = line.toString('utf8').trim();
    if (text) yield parseValue(text, index++);
  };
  for await (const chunk of prepend(first, rest)) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const piece = chunk.subarray(from, nl);
      if (skipping) skipping = false;
      else yield* flush(carry.length ? Buffer.concat([...carry, piece]) : piece);
      carry = [];
      carryLen = 0;
      from = nl + 1;
    }
    if (from < chunk.length && !skipping) {
      carry.push(chunk.subarray(from));
      carryLen += chunk.length - from;
      if (carryLen > MAX_VALUE_BYTES) {
        yield { type: 'error', index: index++, message: `line longer than ${MAX_VALUE_BYTES} bytes skipped` };
        carry = [];
        carryLen = 0;
        skipping = true;
      }
    }
  }
  if (carry.length && !skipping) yield* flush(Buffer.concat(carry));
}

async function* prepend(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (first.length) yield first;
  yield* rest;
}

/**
 * Split a sequence of JSON values. `baseDepth` 1 means we are inside an array (or the Records
 * array): values are its elements, separated by commas, ended by `]`.
 */
async function* splitValues(
  first: Buffer,
  rest: AsyncIterable<Buffer>,
  baseDepth: 0 | 1,
): AsyncGenerator<InputItem> {
  let index = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];
  let size = 0;
  let closed = false;
  let junk = false;
  for await (const chunk of prepend(first, rest)) {
    let i = 0;
    let valueStart = depth > 0 ? 0 : -1;
    const n = chunk.length;
    let nextBs = -1;
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
        // of a 1 MiB chunk each time when there was none (1 GiB replay: 283 s → see bench).
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
        } else if (c === 0x22) {
          // A bare string where a record should be: report once, skip it.
          if (!junk) yield { type: 'error', index: index++, message: 'unexpected data between JSON values' };
          junk = true;
          inString = true;
        } else if (baseDepth === 1 && c === 0x5d) {
          closed = true;
          break;
        } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x2c) {
          if (!junk) yield { type: 'error', index: index++, message: 'unexpected data between JSON values' };
          junk = true;
        }
        i++;
        continue;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          const last = chunk.subarray(valueStart, i + 1);
          // Most values lie within one chunk: decode in place rather than copy through concat.
          const text = parts.length
            ? Buffer.concat([...parts, last]).toString('utf8')
            : last.toString('utf8');
          yield parseValue(text, index++);
          parts = [];
          size = 0;
          valueStart = -1;
        }
      }
      i++;
    }
    if (closed) break;
    if (valueStart >= 0 && depth > 0) {
      parts.push(chunk.subarray(valueStart));
      size += chunk.length - valueStart;
      if (size > MAX_VALUE_BYTES) {
        yield { type: 'error', index: index++, message: `JSON value larger than ${MAX_VALUE_BYTES} bytes` };
        return;
      }
    }
  }
  if (depth > 0) {
    yield { type: 'error', index, message: 'truncated JSON at end of input' };
  } else if (baseDepth === 1 && !closed) {
    yield { type: 'error', index, message: 'truncated JSON array at end of input' };
  }
}

async function* readText(first: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<InputItem> {
  const parts: Buffer[] = [first];
  let size = first.length;
  for await (const chunk of rest) {
    size += chunk.length;
    if (size > MAX_TEXT_BYTES) {
      yield { type: 'error', message: `text input larger than ${MAX_TEXT_BYTES} bytes` };
      return;
    }
    parts.push(chunk);
  }
  const all = Buffer.concat(parts);
  if (looksBinary(all)) {
    yield { type: 'error', message: 'binary data: neither JSON nor a session log' };
    return;
  }
  yield { type: 'text', text: all.toString('utf8') };
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

export function describe(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.slice(0, 200);
}
