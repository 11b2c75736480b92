import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  detectTranscriptShape,
  readDataMessage,
  readRawLog,
  readStreamingJsonl,
  readSubscription,
  readTranscriptFile,
  sessionIdFromFileName,
} from '../../shared/transcript/read';
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
      'x/mallory-1.log',
    ).chunks;
    expect(chunk!.sessionId).toBe('mallory-1');
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

  it('raw logs need a session id from the file name', () => {
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
