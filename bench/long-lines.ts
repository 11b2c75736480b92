/**
 * Hostile and huge inputs through the full transcript engine (terminal normaliser, prompts, command
 * rules, secrets, local PII, aggregation, carry-over), each against a floor measured in the same run:
 * - longLineMsPerMiB: the slowest of the hostile 1 MiB single lines, in ms per MiB; its floor is
 *   decoding the same line from a subscription payload (base64 + gunzip + JSON.parse), as the Lambda
 *   does before it scans (longLineRatio = floor / scan, like transcriptScanRatio);
 * - transcript20MB: a 20 MB raw session log (the corpus' personal-data dump repeated, with hostile
 *   lines in it) read and scanned as the CLI does;
 * - lambdaDelivery: one subscription delivery of 10 events of 33 KB (the agent's largest), each a
 *   hostile line, decoded and scanned as the transcripts function does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { MemoryCarryOverStore, MemorySessionStore } from '#cli/state';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { piiScanner, transcriptDetectors } from '#shared/pipeline/engine';
import { processChunk } from '#shared/pipeline/transcript';
import { readRawLog, readSubscription } from '#shared/transcript/read';
import type { TranscriptCarry, TranscriptChunk } from '#shared/transcript/types';
import { best, round } from './measure';

const MiB = 1024 * 1024;
const SESSION = 'bench-0123456789abcdef0';
const OWNER = 'arn:aws:sts::111122223333:assumed-role/SSMOperatorRole/bench';

const repeat = (unit: string, length: number): string =>
  unit.repeat(Math.ceil(length / unit.length)).slice(0, length);

function numbered(make: (i: number) => string, length: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const p = make(i);
    parts.push(p);
    size += p.length;
  }
  return parts.join('').slice(0, length);
}

/** Single lines that were quadratic in some pass (issue 8) or stress one: the name says the shape. */
export const HOSTILE_LINES: Record<string, (length: number) => string> = {
  'bare prompt + word run': (n) => `$ ${repeat('a', n - 2)}`,
  'prompt + curl repeated': (n) => `sh-5.2$ ${repeat('curl ', n - 8)}`,
  'curl repeated': (n) => repeat('curl ', n),
  'python -c repeated': (n) => `sh-5.2$ ${repeat('python3 -c "', n - 8)}`,
  'distinct e-mails': (n) => numbered((i) => `user${i}@example.org `, n),
  'distinct SSNs': (n) => numbered((i) => `${100 + (i % 800)}-${10 + (i % 89)}-${1000 + (i % 9000)} `, n),
  'digit groups': (n) => repeat('1 2 3 ', n),
  'intl phone look-alikes': (n) => repeat('+21111111111111111111111111111a ', n),
  'base64 run': (n) => repeat('QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3', n),
  'password= repeated': (n) => repeat('password=', n),
  'distinct passwords': (n) => numbered((i) => `--password=Pw${i}secret `, n),
  'AKIA repeated': (n) => repeat('AKIA', n),
  '-----BEGIN repeated': (n) => repeat('-----BEGIN ', n),
  ':// repeated': (n) => repeat('://', n),
  'URL credentials': (n) => numbered((i) => `https://u:pw${i}@h${i}.example.org/ `, n),
};

/** Through the pipeline, as the Lambda and the CLI run it (in-memory stores). */
async function scanChunks(chunks: TranscriptChunk[]): Promise<number> {
  const deps = {
    config: DEFAULT_CONFIG,
    sessions: new MemorySessionStore(),
    carry: new MemoryCarryOverStore<TranscriptCarry>(),
    pii: piiScanner('local', DEFAULT_CONFIG),
    detectors: transcriptDetectors(),
  };
  let findings = 0;
  const publish = async (found: unknown[]) => {
    findings += found.length;
  };
  for (const c of chunks) await processChunk(c, deps, publish);
  return findings;
}

/** A CloudWatch Logs subscription payload of streaming session-log events, one per text. */
function subscriptionPayload(texts: string[]): string {
  const logEvents = texts.map((text, i) => ({
    id: String(10n ** 55n + BigInt(i)),
    timestamp: 1_795_000_000_000 + i,
    message: JSON.stringify({
      eventVersion: '1.0',
      eventTime: '2026-11-22T02:02:23Z',
      awsRegion: 'us-east-1',
      target: { id: 'i-0e57975fb4405c6a9' },
      userIdentity: { arn: OWNER },
      runAsUser: 'ssm-user',
      sessionId: SESSION,
      sessionData: [text],
    }),
  }));
  const data = {
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/ssm/sessions',
    logStream: SESSION,
    subscriptionFilters: ['sentinel'],
    logEvents,
  };
  return JSON.stringify({ awslogs: { data: gzipSync(JSON.stringify(data)).toString('base64') } });
}

function decodeFloor(payload: string): void {
  const o = JSON.parse(payload) as { awslogs: { data: string } };
  const msg = JSON.parse(gunzipSync(Buffer.from(o.awslogs.data, 'base64')).toString('utf8')) as {
    logEvents: Array<{ message: string }>;
  };
  for (const e of msg.logEvents) JSON.parse(e.message);
}

async function scanPayload(payload: string): Promise<number> {
  const { chunks, errors } = readSubscription(JSON.parse(payload), 'bench');
  if (errors.length > 0) throw new Error(`bench payload not read: ${errors[0]!.message}`);
  return scanChunks(chunks.map((c) => ({ ...c, final: true })));
}

export async function benchLongLines(log: (m: string) => void) {
  const perShape: Record<string, number> = {};
  let worst = { name: '', ms: 0, floorMs: 0 };
  for (const [name, make] of Object.entries(HOSTILE_LINES)) {
    const line = make(MiB);
    const payload = subscriptionPayload([line]);
    await scanPayload(payload);
    const ms = await best(3, () => scanPayload(payload));
    perShape[name] = round(ms);
    if (ms > worst.ms) worst = { name, ms, floorMs: await best(5, () => decodeFloor(payload)) };
    log(`long line "${name}": ${ms.toFixed(0)} ms per MiB`);
  }
  return {
    longLineMsPerMiB: round(worst.ms),
    longLineRatio: round(worst.floorMs / worst.ms),
    longLineDetail: { slowest: worst.name, floorMs: round(worst.floorMs), msPerMiB: perShape },
  };
}

/** A 20 MB raw session log: the corpus' personal-data dump over and over, a hostile line every 2 MB. */
function rawLog20MB(): string {
  const dump = readFileSync(join('test/fixtures/sessions/pii-leak', 'raw.log'), 'utf8');
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 20 * MiB; i++) {
    const part = i % 40 === 39 ? `sh-5.2$ ${repeat('curl ', 64 * 1024)}\r\n` : dump;
    parts.push(part);
    size += part.length;
  }
  return parts.join('');
}

export async function benchTranscript20MB(log: (m: string) => void) {
  const text = rawLog20MB();
  const bytes = Buffer.byteLength(text);
  let findings = 0;
  const ms = await best(1, async () => {
    const { chunks } = readRawLog(text, 'bench/raw.log');
    findings = await scanChunks(chunks.map((c) => ({ ...c, final: true })));
  });
  const rss = process.memoryUsage().rss / MiB;
  log(`20 MB transcript: ${ms.toFixed(0)} ms, ${findings} findings`);
  return {
    transcript20MB: {
      bytes,
      ms: round(ms),
      MiBps: round(bytes / MiB / (ms / 1000)),
      findings,
      rssMB: round(rss),
    },
  };
}

export async function benchLambdaDelivery(log: (m: string) => void) {
  // The delivery: 10 events of 33 KB, each one hostile line (the agent cuts lines there).
  const shapes = Object.values(HOSTILE_LINES);
  const texts = Array.from({ length: 10 }, (_, i) => shapes[i % shapes.length]!(33_000));
  const payload = subscriptionPayload(texts);
  await scanPayload(payload);
  const ms = await best(3, () => scanPayload(payload));
  const floorMs = await best(5, () => decodeFloor(payload));
  log(`lambda delivery 10 x 33 KB: ${ms.toFixed(0)} ms`);
  return {
    lambdaDelivery: {
      events: 10,
      eventKB: 33,
      ms: round(ms),
      floorMs: round(floorMs),
      ratio: round(floorMs / ms),
    },
  };
}
