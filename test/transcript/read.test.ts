import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '#shared/model/config';
import {
  detectTranscriptShape,
  MAX_SUBSCRIPTION_BYTES,
  RAW_CHUNK_CHARS,
  RawLogReader,
  rawLogSessionId,
  readDataMessage,
  readRawLog,
  readStreamingJsonl,
  readSubscription,
  readTranscriptFile,
  SESSION_BATCH_CHARS,
  SessionEventBatcher,
  sessionIdFromFileName,
} from '#shared/transcript/read';
import type { Detector, TranscriptChunk } from '#shared/transcript/types';
import { carried, scan } from './carried';
import { scenarios, shapeFiles, shapesOf } from './corpus';

const all = scenarios();

function streamingEvents(name: string) {
  return readFileSync(shapeFiles(name, 'streaming')[0]!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { sessionData: string[]; eventTime: string; sessionId: string });
}

function payload(message: unknown): { awslogs: { data: string } } {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') } };
}

describe('readers on the corpus', () => {
  it.each(all.map((s) => [s.name, s]))('%s: every shape reads without errors into one session', (name, s) => {
    expect(shapesOf(name).length).toBeGreaterThanOrEqual(3);
    for (const shape of shapesOf(name)) {
      for (const file of shapeFiles(name, shape)) {
        const r = readTranscriptFile(readFileSync(file), file);
        expect(r.errors, file).toEqual([]);
        expect(r.chunks.length, file).toBe(1);
        expect(r.chunks[0]!.sessionId).toBe(s.sessionId);
      }
    }
  });

  it.each(all.map((s) => [s.name]))(
    '%s: subscription deliveries decode to exactly the streaming events',
    (name) => {
      const fromDeliveries = shapeFiles(name, 'subscription').flatMap((f) =>
        readTranscriptFile(readFileSync(f), f).chunks.flatMap((c) => c.events),
      );
      const expected = streamingEvents(name);
      expect(fromDeliveries.map((e) => e.text)).toEqual(expected.map((e) => e.sessionData.join('\n')));
      expect(fromDeliveries.map((e) => e.time)).toEqual(expected.map((e) => e.eventTime));
      expect(fromDeliveries.every((e) => /^\d{56}$/.test(e.id ?? ''))).toBe(true);
    },
  );

  it('takes owner, target and region from the session events', () => {
    const [chunk] = readTranscriptFile(readFileSync(shapeFiles('attacker', 'streaming')[0]!), 'x').chunks;
    expect(chunk!.owner).toEqual({
      arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
      target: 'i-0e57975fb4405c6a9',
      runAsUser: 'ssm-user',
      region: 'us-east-1',
    });
    expect(chunk!.final).toBe(true);
  });

  it('strips script framing and reads the width and start time of raw logs', () => {
    const [chunk] = readTranscriptFile(
      readFileSync(shapeFiles('attacker', 's3')[0]!),
      'x/mallory-0123456789abcdef0.log',
    ).chunks;
    expect(chunk!.sessionId).toBe('mallory-0123456789abcdef0');
    expect(chunk!.columns).toBe(120);
    expect(chunk!.events[0]!.time).toBe('2026-11-22T02:03:30.000Z');
    expect(chunk!.events[0]!.text).not.toContain('Script started');
    expect(chunk!.events[0]!.text).not.toContain('Script done');
  });

  it('reads PowerShell transcripts with their start time', () => {
    const [chunk] = readTranscriptFile(
      readFileSync(shapeFiles('windows-like', 's3')[0]!),
      'erin-x.log',
    ).chunks;
    expect(chunk!.events[0]!.time).toBe('2026-11-22T02:04:19.000Z');
    expect(chunk!.columns).toBeUndefined();
  });

  it('reads gzipped files', () => {
    const bytes = gzipSync(readFileSync(shapeFiles('secrets', 'streaming')[0]!));
    const r = readTranscriptFile(bytes, 'streaming.jsonl.gz');
    expect(r.errors).toEqual([]);
    expect(r.chunks[0]!.events.length).toBe(10);
  });
});

describe('shape detection', () => {
  it.each([
    ['subscription', shapeFiles('attacker', 'subscription')[0]!],
    ['streaming-jsonl', shapeFiles('attacker', 'streaming')[0]!],
    ['raw-log', shapeFiles('attacker', 's3')[0]!],
    ['raw-log', shapeFiles('attacker', 's3-agent')[0]!],
    ['raw-log', shapeFiles('windows-like', 's3')[0]!],
  ])('%s: %s', (shape, file) => {
    const bytes = readFileSync(file);
    expect(detectTranscriptShape(bytes.subarray(0, 512))).toBe(shape);
  });

  it('knows parsed values and refuses other JSON', () => {
    expect(detectTranscriptShape({ awslogs: { data: 'x' } })).toBe('subscription');
    expect(detectTranscriptShape({ messageType: 'DATA_MESSAGE', logEvents: [] })).toBe('data-message');
    expect(detectTranscriptShape({ sessionData: [] })).toBe('streaming-jsonl');
    expect(detectTranscriptShape({ Records: [] })).toBeUndefined();
    expect(detectTranscriptShape('{"Records":[]}')).toBeUndefined();
    expect(detectTranscriptShape('{"messageType":"DATA_MESSAGE","logEvents":[]}')).toBe('data-message');
    expect(detectTranscriptShape('just some notes\nnothing else')).toBeUndefined();
  });

  it('knows a dash session by its bare prompts, even when its first line is longer than the sample', () => {
    expect(detectTranscriptShape('$ cat /etc/shadow\nroot:x\n')).toBe('raw-log');
    expect(detectTranscriptShape('# useradd -m backdoor\n')).toBe('raw-log');
    expect(detectTranscriptShape(`$ ${'a'.repeat(200_000)}`)).toBe('raw-log');
    expect(detectTranscriptShape('# Runbook\n\nSome notes.\n')).toBeUndefined();
    expect(detectTranscriptShape('# This file is managed by Puppet\nKey yes\n')).toBeUndefined();
  });
});

describe('bad input becomes one clear error per item', () => {
  it('broken base64, gzip and JSON in subscription payloads', () => {
    expect(readSubscription({ awslogs: { data: '%%%' } }, 'p').errors[0]!.message).toMatch(/base64/);
    expect(readSubscription({ awslogs: { data: 'aGVsbG8=' } }, 'p').errors[0]!.message).toMatch(/gzip/);
    const notJson = { awslogs: { data: gzipSync(Buffer.from('{nope')).toString('base64') } };
    expect(readSubscription(notJson, 'p').errors[0]!.message).toMatch(/not JSON/);
    expect(readSubscription({ foo: 1 }, 'p').errors[0]!.message).toMatch(/awslogs/);
    expect(readSubscription(null, 'p').chunks).toEqual([]);
  });

  it('ignores CONTROL_MESSAGE and keeps good events next to bad ones', () => {
    expect(readSubscription(payload({ messageType: 'CONTROL_MESSAGE', logEvents: [] }), 'p')).toEqual({
      chunks: [],
      errors: [],
    });
    const r = readDataMessage(
      {
        messageType: 'DATA_MESSAGE',
        logStream: 'sess-1',
        logEvents: [
          {
            id: '1',
            timestamp: 0,
            message: JSON.stringify({ sessionId: 'sess-1', sessionData: ['ok line'] }),
          },
          { id: '2', timestamp: 0, message: JSON.stringify({ sessionId: 'sess-1', sessionData: [1, 2] }) },
          { id: '3', timestamp: 0 },
          { id: '4', timestamp: 1000, message: 'plain text output' },
        ],
      },
      'p',
    );
    expect(r.chunks).toHaveLength(1);
    expect(r.chunks[0]!.events.map((e) => e.text)).toEqual(['ok line', 'plain text output']);
    expect(r.chunks[0]!.events[1]!.time).toBe('1970-01-01T00:00:01.000Z');
    expect(r.errors.map((e) => e.index)).toEqual([1, 2]);
  });

  it('reports bad JSON lines and keeps the rest of a streaming file', () => {
    const text = [
      '{"sessionId":"s1","sessionData":["a"]}',
      'not json "with a secret-ish quoted part"',
      '{"foo":1}',
      '{"sessionId":"s1","sessionData":["b"]}',
    ].join('\n');
    const r = readStreamingJsonl(text, 'f');
    expect(r.chunks[0]!.events.map((e) => e.text)).toEqual(['a', 'b']);
    expect(r.errors.map((e) => e.index)).toEqual([2, 3]);
    // Error messages never echo the input text.
    expect(JSON.stringify(r.errors)).not.toContain('secret-ish');
  });

  it('raw logs need a file name to name their session', () => {
    expect(readRawLog('text', '/').errors).toHaveLength(1);
    expect(sessionIdFromFileName('logs/prefix/alice-0123456789abcdef0.log.gz')).toBe(
      'alice-0123456789abcdef0',
    );
  });

  it('arbitrary bytes are refused, not thrown', () => {
    const r = readTranscriptFile(new Uint8Array([0x1f, 0x8b, 0, 1, 2, 3]), 'x.gz');
    expect(r.chunks).toEqual([]);
    expect(r.errors[0]!.message).toMatch(/unreadable/);
    expect(readTranscriptFile('{"Records":[]}', 'ct.json').errors[0]!.message).toMatch(/not a session log/);
  });
});

describe('session ids of raw logs', () => {
  it('come from a <sessionId>.log name, else from the whole path, so two raw.log never merge', () => {
    expect(rawLogSessionId('s3/bob.martin-mxytqvubo1rbsrjswlyw6ue6jv.log')).toBe(
      'bob.martin-mxytqvubo1rbsrjswlyw6ue6jv',
    );
    expect(rawLogSessionId('old/alice-0123456789abcdef0.log.gz')).toBe('alice-0123456789abcdef0');
    expect(rawLogSessionId('a/raw.log')).toBe('a/raw.log');
    expect(rawLogSessionId('b/raw.log')).toBe('b/raw.log');
    expect(rawLogSessionId('mallory-1.log')).toBe('mallory-1.log');
    expect(sessionIdFromFileName(`${'x'.repeat(90)}-0123456789abcdef0.log`)).toBeUndefined();
    expect(rawLogSessionId('')).toBeUndefined();
  });
});

/** Every non-blank screen line the scan numbers, as [line number, text]. */
async function scannedLines(chunks: TranscriptChunk[]): Promise<Array<[number, string]>> {
  const seen: Array<[number, string]> = [];
  const recorder: Detector = {
    name: 'recorder',
    scan(lines) {
      for (const l of lines) seen.push([l.n, l.text]);
      return [];
    },
  };
  const ctx = carried({ config: DEFAULT_CONFIG, pii: undefined });
  for (const c of chunks) await scan(c, ctx, [recorder]);
  return seen;
}

function readInPieces(text: string, piece: number, chunkChars: number): TranscriptChunk[] {
  const reader = new RawLogReader('f', 'alice-0123456789abcdef0', { chunkChars });
  const out: TranscriptChunk[] = [];
  for (let i = 0; i < text.length; i += piece) out.push(...reader.push(text.slice(i, i + piece)));
  out.push(...reader.end());
  return out;
}

describe('RawLogReader', () => {
  // Lines around the scan's 32 000-byte "possibly cut by the agent" threshold are the hard case:
  // a delivery ending on one must not merge it with the next line.
  const lineArb = fc.oneof(
    fc.string({ unit: fc.constantFrom('a', 'b', ' ', '$', '-'), maxLength: 40 }),
    fc.integer({ min: 31_990, max: 32_010 }).map((n) => 'w'.repeat(n)),
    fc.integer({ min: 10_700, max: 10_700 }).map((n) => '€'.repeat(n)), // 32 100 UTF-8 bytes, 10 700 chars
    fc.integer({ min: 40_000, max: 45_000 }).map((n) => 'z'.repeat(n)),
  );

  it('numbers and splits lines exactly as one whole delivery would, wherever the cuts fall', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 70_000 }),
        async (lines, trailingNewline, piece, chunkChars) => {
          const text = lines.join('\n') + (trailingNewline ? '\n' : '');
          const whole = await scannedLines(readInPieces(text, text.length || 1, Number.MAX_SAFE_INTEGER));
          const cut = readInPieces(text, piece, chunkChars);
          expect(await scannedLines(cut)).toEqual(whole);
          expect(cut.filter((c) => c.final)).toHaveLength(1);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('holds at most about one delivery of text, whatever the input size', () => {
    const reader = new RawLogReader('f', 's');
    let largest = 0;
    const line = 'sh-5.2$ echo hello world\r\n';
    const piece = line.repeat(Math.ceil(65_536 / line.length));
    for (let i = 0; i < 200; i++) {
      for (const c of reader.push(piece)) largest = Math.max(largest, c.events[0]!.text.length);
    }
    for (const c of reader.end()) largest = Math.max(largest, c.events[0]!.text.length);
    expect(largest).toBeGreaterThan(RAW_CHUNK_CHARS / 2);
    expect(largest).toBeLessThanOrEqual(RAW_CHUNK_CHARS + piece.length);
  });

  it('cuts a line with no end into deliveries instead of holding it', () => {
    const reader = new RawLogReader('f', 's');
    const chunks: TranscriptChunk[] = [];
    for (let i = 0; i < 40; i++) chunks.push(...reader.push('x'.repeat(100_000)));
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    chunks.push(...reader.end());
    expect(chunks.reduce((n, c) => n + c.events[0]!.text.length, 0)).toBe(4_000_000);
  });

  it('strips the script header and footer when they fall on delivery boundaries', () => {
    const header = 'Script started on 2026-11-22 02:03:30+00:00 [COLUMNS="100"]\n';
    const body = `${'sh-5.2$ ls\r\nfile\r\n'.repeat(3000)}`;
    const text = `${header}${body}Script done on 2026-11-22 02:09:00+00:00 [COMMAND_EXIT_CODE="0"]\n`;
    const chunks = readInPieces(text, 7, 4096);
    const joined = chunks.map((c) => c.events[0]!.text).join('\n');
    expect(joined).not.toContain('Script started');
    expect(joined).not.toContain('Script done');
    expect(chunks.every((c) => c.columns === 100 && c.events[0]!.time === '2026-11-22T02:03:30.000Z')).toBe(
      true,
    );
  });

  it('gives identical deliveries different event ids (repeated output is not a re-delivery)', () => {
    const chunks = readInPieces('same line\n'.repeat(10_000), 10_000, 1000);
    const ids = chunks.map((c) => c.events[0]!.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('SessionEventBatcher', () => {
  const event = (sessionId: string, text: string) => ({ sessionId, eventTime: 't', sessionData: [text] });

  it('hands out batches of bounded size and a final chunk for every session seen', () => {
    const b = new SessionEventBatcher('f');
    const batches: TranscriptChunk[][] = [];
    const big = 'x'.repeat(100_000);
    for (let i = 0; i < 25; i++) {
      const r = b.add(event(i % 2 ? 's1' : 's2', big));
      if ('chunks' in r && r.chunks.length) batches.push(r.chunks);
    }
    expect(batches.length).toBeGreaterThanOrEqual(2);
    for (const batch of batches) {
      const chars = batch.reduce((n, c) => n + c.events.reduce((m, e) => m + e.text.length, 0), 0);
      expect(chars).toBeLessThanOrEqual(SESSION_BATCH_CHARS + big.length);
      expect(batch.every((c) => !c.final)).toBe(true);
    }
    const last = b.end();
    expect(last.map((c) => [c.sessionId, c.final])).toEqual(
      expect.arrayContaining([
        ['s1', true],
        ['s2', true],
      ]),
    );
  });

  it('keeps identical events apart by position and refuses what is not a session event', () => {
    const b = new SessionEventBatcher('f');
    b.add(event('s1', 'same'));
    b.add(event('s1', 'same'));
    const ids = b.end()[0]!.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(2);
    expect(b.add({ sessionData: ['x'] })).toEqual({ error: 'session event without sessionId' });
    expect(b.add([1])).toEqual({ error: 'not a JSON object' });
  });
});

describe('limits', () => {
  it('refuses a subscription payload that unpacks past MAX_SUBSCRIPTION_BYTES', () => {
    const bomb = gzipSync(Buffer.alloc(MAX_SUBSCRIPTION_BYTES + 1, 0x20));
    const r = readSubscription({ awslogs: { data: bomb.toString('base64') } }, 'p');
    expect(r.chunks).toEqual([]);
    expect(r.errors[0]!.message).toBe('awslogs.data: decompressed data larger than 32 MiB (the limit)');
  });

  it('reads a 20 MB raw log held in memory as bounded deliveries', () => {
    const text = 'sh-5.2$ cat notes.txt\r\nnothing to see here\r\n'.repeat(500_000);
    const r = readRawLog(text, 'big/raw.log');
    expect(r.chunks.length).toBeGreaterThanOrEqual(Math.floor(text.length / RAW_CHUNK_CHARS));
    for (const c of r.chunks) expect(c.events[0]!.text.length).toBeLessThanOrEqual(2 * RAW_CHUNK_CHARS);
    expect(r.chunks.at(-1)!.final).toBe(true);
  });
});

describe('event times', () => {
  it('keep a valid ISO time as given and drop anything else (it would be printed as the finding time)', () => {
    const text = [
      { sessionId: 's1', eventTime: '2026-11-22T02:03:40Z', sessionData: ['a'] },
      { sessionId: 's1', eventTime: '2026-11-22T02:03:40.123+01:00', sessionData: ['b'] },
      { sessionId: 's1', eventTime: '2026-11-22T02:03:40Z AKIAQ2WX7RZLM3KD5TPV', sessionData: ['c'] },
      { sessionId: 's1', eventTime: '2026-13-45T99:99:99Z', sessionData: ['d'] },
    ]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const times = readStreamingJsonl(text, 'f').chunks[0]!.events.map((e) => e.time);
    expect(times).toEqual(['2026-11-22T02:03:40Z', '2026-11-22T02:03:40.123+01:00', '', '']);
  });
});
