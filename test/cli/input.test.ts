import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type InputItem, listFiles, openBytes, readItems } from '../../cli/input';

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

  it('reports a bad JSON line with its index and keeps the others', async () => {
    const r = await items('{"a":1}\n{"b":2}\n{bad\n\n{"c":3}\n');
    expect(values(r)).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
    expect(errors(r)).toEqual([
      expect.objectContaining({ index: 2, message: expect.stringContaining('invalid JSON') }),
    ]);
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

  it('hands non-JSON text over as a session log', async () => {
    expect(await items('Script started on 2026-01-01\n$ ls\n')).toEqual([
      { type: 'text', text: 'Script started on 2026-01-01\n$ ls\n' },
    ]);
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
    for await (const f of listFiles([dir, join(dir, 'missing.json')]))
      files.push('error' in f ? `!${f.file}` : f.file);
    expect(files).toEqual([join(dir, 'a.bin'), join(dir, 'b.json'), `!${join(dir, 'missing.json')}`]);
    const got: InputItem[] = [];
    for await (const x of readItems(await openBytes(join(dir, 'a.bin')))) got.push(x);
    expect(values(got)).toEqual([{ a: 1 }]);
  });
});
