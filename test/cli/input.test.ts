import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodedBytes,
  exceedsDepth,
  type InputItem,
  type ListEntry,
  listInputs,
  MAX_JSON_DEPTH,
  MAX_VALUE_BYTES,
  openBytes,
  readItems,
} from '#cli/input';
import { InputError } from '#shared/errors';
import { MAX_GUNZIP_BYTES } from '#shared/transcript/read';

/** Feed `text` in chunks of `size` bytes, so every boundary case of the splitter is crossed. */
async function items(text: string | Buffer, size = 3): Promise<InputItem[]> {
  const b = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  const out: InputItem[] = [];
  for await (const x of readItems(Readable.from(parts))) out.push(x);
  return out;
}

const values = (xs: InputItem[]) =>
  xs.filter((x) => x.type === 'value').map((x) => (x as { value: unknown }).value);
const errors = (xs: InputItem[]) => xs.filter((x) => x.type === 'error');

describe('readItems', () => {
  it('streams the elements of a CloudTrail log file', async () => {
    const r = await items('{"Records":[{"a":"x]}"},{"b":[1,{"c":"\\"}"}]}]}');
    expect(values(r)).toEqual([{ a: 'x]}' }, { b: [1, { c: '"}' }] }]);
    expect(errors(r)).toEqual([]);
  });

  it('reads arrays, single objects, JSON Lines and concatenated values', async () => {
    expect(values(await items('[{"a":1}, {"b":2}]'))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(values(await items('{\n  "a": 1\n}\n'))).toEqual([{ a: 1 }]);
    expect(values(await items('{"a":1}\n{"b":2}\n'))).toEqual([{ a: 1 }, { b: 2 }]);
    expect(values(await items('{"a":\n1}{"b":2}'))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('reports a bad JSON line with its line number (blank lines count) and keeps the others', async () => {
    const r = await items('\n\n{"a":1}\n{"b":2}\n{bad\n\n{"c":3}\n');
    expect(values(r)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(errors(r)).toEqual([
      expect.objectContaining({ index: 2, line: 5, message: expect.stringContaining('invalid JSON') }),
    ]);
    expect(r.filter((x) => x.type === 'value').map((x) => (x as { line?: number }).line)).toEqual([3, 4, 7]);
  });

  it('reports truncated input, empty input and binary data', async () => {
    expect(errors(await items('[{"a":1},{"b"'))[0]).toMatchObject({
      message: expect.stringContaining('truncated'),
    });
    expect(values(await items('[{"a":1},{"b"'))).toEqual([{ a: 1 }]);
    expect(errors(await items('  \n'))).toEqual([{ type: 'error', message: 'empty input' }]);
    expect(errors(await items(Buffer.from([0, 1, 2, 3, 0, 9])))[0]).toMatchObject({
      message: expect.stringContaining('binary'),
    });
  });

  it('hands non-JSON text over as a session log, in pieces, saying how many blank lines came first', async () => {
    expect(await items('Script started on 2026-01-01\n$ ls\n')).toEqual([
      { type: 'text', text: 'Script started on 2026-01-01\n$ ls\n' },
    ]);
    const big = `\n\n${'sh-5.2$ ls\n'.repeat(20_000)}`;
    const r = await items(big, 4096);
    expect(r.length).toBeGreaterThan(1);
    expect(r[0]).toMatchObject({ type: 'text', blankLines: 2 });
    expect(r.map((x) => (x as { text: string }).text).join('')).toBe(big.slice(2));
  });

  it('never throws on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        async (bytes, size) => {
          const r = await items(Buffer.from(bytes), size);
          expect(Array.isArray(r)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits exactly like JSON.parse for any JSON array', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 17 }),
        async (arr, size) => {
          const objs = arr.map((v) => ({ v }));
          expect(values(await items(JSON.stringify(objs), size))).toEqual(JSON.parse(JSON.stringify(objs)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('files', () => {
  it('lists directories recursively in name order and gunzips by magic bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-input-'));
    writeFileSync(join(dir, 'b.json'), '{"b":1}');
    writeFileSync(join(dir, 'a.bin'), gzipSync('{"Records":[{"a":1}]}'));
    const files: string[] = [];
    for await (const f of listInputs([dir, join(dir, 'missing.json')]))
      files.push('source' in f ? f.source.name : `!${f.name}`);
    expect(files).toEqual([join(dir, 'a.bin'), join(dir, 'b.json'), `!${join(dir, 'missing.json')}`]);
    const got: InputItem[] = [];
    for await (const x of readItems(await openBytes(join(dir, 'a.bin')))) got.push(x);
    expect(values(got)).toEqual([{ a: 1 }]);
  });
});

describe('hostile JSON', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it('skips a value nested deeper than MAX_JSON_DEPTH and reads the next one', async () => {
    const r = await items(`[${deep(5000)}, {"a":1}]`, 1000);
    expect(errors(r)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/deeper than 64/) }),
    ]);
    expect(values(r)).toEqual([{ a: 1 }]);
    const ok = await items(`[${deep(MAX_JSON_DEPTH)}]`);
    expect(errors(ok)).toEqual([]);
  });

  it('does the same for a line of JSON Lines, naming the line', async () => {
    const r = await items(`{"a":1}\n${deep(5000)}\n{"b":2}\n`, 777);
    expect(values(r)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(errors(r)).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringMatching(/deeper/) }),
    ]);
  });

  it('skips a value larger than MAX_VALUE_BYTES without keeping it, and reads the next one', async () => {
    const MiB = 1024 * 1024;
    const filler = Buffer.alloc(MiB, 0x78);
    async function* input() {
      yield Buffer.from('[{"a":"');
      for (let i = 0; i <= MAX_VALUE_BYTES / MiB; i++) yield filler;
      yield Buffer.from('"}, {"b":2}]');
    }
    const out: InputItem[] = [];
    for await (const x of readItems(input())) out.push(x);
    expect(errors(out)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/larger than 64 MiB/) }),
    ]);
    expect(values(out)).toEqual([{ b: 2 }]);
  });

  it('reports data after the closing bracket of an array instead of ignoring it', async () => {
    const r = await items('[\n  {"a":1}\n]\n{"b":2}\n');
    expect(values(r)).toEqual([{ a: 1 }]);
    expect(errors(r)[0]).toMatchObject({ message: expect.stringMatching(/after the end of the JSON array/) });
    expect(errors(await items('{"Records":[{"a":1}]}\n'))).toEqual([]);
    // One array per line is JSON Lines: every line is read.
    expect(values(await items('[{"a":1}]\n{"b":2}\n'))).toEqual([[{ a: 1 }], { b: 2 }]);
  });

  it('never quotes the input in a parse error', async () => {
    const r = await items('{"a":1}\n{"key": AKIAQ2WX7RZLM3KD5TPV}\n');
    expect(JSON.stringify(errors(r))).not.toContain('AKIA');
  });

  it('exceedsDepth agrees with the nesting of the parsed value', () => {
    const depthOf = (v: unknown): number =>
      typeof v === 'object' && v !== null
        ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (v, max) => {
        const text = Buffer.from(JSON.stringify(v));
        expect(exceedsDepth(text, max)).toBe(depthOf(v) > max);
      }),
      { numRuns: 300 },
    );
    expect(exceedsDepth(Buffer.from('["\\\\\\"[[[", [[1]]]'), 2)).toBe(true);
    expect(exceedsDepth(Buffer.from('["[[[\\\\"]'), 1)).toBe(false);
  });
});

describe('decodedBytes', () => {
  async function collect(source: AsyncIterable<Buffer>, limit?: number) {
    const parts: Buffer[] = [];
    for await (const b of decodedBytes(source, limit)) parts.push(b);
    return Buffer.concat(parts);
  }

  it('gunzips by magic bytes even when they arrive one byte at a time', async () => {
    const gz = gzipSync('{"a":1}');
    const bytes = [...gz].map((b) => Buffer.from([b]));
    expect((await collect(Readable.from(bytes))).toString()).toBe('{"a":1}');
  });

  it('stops a gzip stream past its limit with an InputError that names the limit', async () => {
    const gz = gzipSync(Buffer.alloc(5 * 1024 * 1024));
    const seen: number[] = [];
    const run = async () => {
      for await (const b of decodedBytes(Readable.from([gz]), 1024 * 1024)) seen.push(b.length);
    };
    await expect(run()).rejects.toThrow(InputError);
    await expect(run()).rejects.toThrow(/larger than 1 MiB \(the limit per file\)/);
    expect(seen.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(MAX_GUNZIP_BYTES).toBe(256 * 1024 * 1024);
  });

  it('reports corrupt gzip data as an error, not a crash', async () => {
    await expect(collect(Readable.from([Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5])]))).rejects.toThrow();
  });
});

describe('listInputs', () => {
  async function list(paths: string[], stdin?: () => Readable): Promise<ListEntry[]> {
    const out: ListEntry[] = [];
    for await (const e of listInputs(paths, stdin)) out.push(e);
    return out;
  }
  const names = (xs: ListEntry[]) =>
    xs.map((e) => ('source' in e ? e.source.name : 'error' in e ? `!${e.name}` : `~${e.name}`));

  it('reads each real file once: symlink loops end, repeated paths are not read twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-input-'));
    mkdirSync(join(dir, 'a'));
    writeFileSync(join(dir, 'a', 'f.json'), '{}');
    symlinkSync('..', join(dir, 'a', 'up'));
    symlinkSync('.', join(dir, 'a', 'self'));
    symlinkSync('loop', join(dir, 'loop'));
    const r = await list([dir, join(dir, 'a', 'f.json'), join(dir, 'a', 'self', 'f.json')]);
    expect(names(r)).toEqual([join(dir, 'a', 'f.json'), `!${join(dir, 'loop')}`]);
    expect(r[1]).toMatchObject({ error: 'too many levels of symbolic links' });
  });

  it('reads a named FIFO, skips one inside a directory, refuses sockets and devices', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-input-'));
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(dir, 'sock'), resolve));
    try {
      const r = await list([dir, join(dir, 'pipe'), join(dir, 'sock'), '/dev/null']);
      expect(names(r)).toEqual([
        `~${join(dir, 'pipe')}`,
        `~${join(dir, 'sock')}`,
        join(dir, 'pipe'),
        `!${join(dir, 'sock')}`,
        '!/dev/null',
      ]);
      expect(r[2]).toMatchObject({ source: { reopenable: false } });
      expect(r[3]).toMatchObject({ error: 'not a file, directory or pipe' });
    } finally {
      server.close();
    }
  });

  it('takes - as stdin once, and refuses a terminal or a missing stdin', async () => {
    const stdin = Readable.from([Buffer.from('{}')]);
    const r = await list(['-', '-'], () => stdin);
    expect(r).toEqual([{ source: expect.objectContaining({ name: 'stdin', reopenable: false }) }]);
    const tty = Object.assign(Readable.from([]), { isTTY: true });
    expect(await list(['-'], () => tty)).toEqual([
      { name: 'stdin', error: expect.stringMatching(/terminal/) },
    ]);
    expect(await list(['-'])).toEqual([{ name: 'stdin', error: expect.stringMatching(/not available/) }]);
  });
});
