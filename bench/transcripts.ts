import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { MemoryCarryOverStore, MemorySessionStore } from '#cli/state';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { piiScanner, transcriptDetectors } from '#shared/pipeline/engine';
import { processChunk } from '#shared/pipeline/transcript';
import { readSubscription } from '#shared/transcript/read';
import type { TranscriptCarry } from '#shared/transcript/types';
import { best, round } from './measure';

const ROOT = 'test/fixtures/sessions';
const published = async () => undefined;

/** Every subscription delivery of the corpus, in order, as the raw Lambda payload text. */
function deliveries(): string[] {
  const out: string[] = [];
  for (const s of readdirSync(ROOT).sort()) {
    const dir = join(ROOT, s, 'subscription');
    let files: string[];
    try {
      files = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const f of files) out.push(readFileSync(join(dir, f), 'utf8'));
  }
  return out;
}

/**
 * transcriptScanRatio = time(JSON.parse + base64 + gunzip + JSON.parse of every log event) /
 * time(the full scan of the same deliveries: decode, normalise, commands, secrets, local PII,
 * aggregation, carry-over). Goal ≥ 0.30.
 */
export async function benchTranscripts(log: (m: string) => void) {
  const payloads = deliveries();
  const bytes = payloads.reduce((a, p) => a + p.length, 0);
  log(`transcripts: ${payloads.length} deliveries, ${(bytes / 1024).toFixed(0)} KiB of payload`);
  // Both sides warm up first (JIT), then the best of many runs: steady-state throughput.
  const reps = 50;
  const floor = () => {
    for (const p of payloads) {
      const o = JSON.parse(p) as { awslogs: { data: string } };
      const msg = JSON.parse(gunzipSync(Buffer.from(o.awslogs.data, 'base64')).toString('utf8')) as {
        logEvents: Array<{ message: string }>;
      };
      for (const e of msg.logEvents) JSON.parse(e.message);
    }
  };
  const detectors = transcriptDetectors();
  const scan = async () => {
    const deps = {
      config: DEFAULT_CONFIG,
      sessions: new MemorySessionStore(),
      carry: new MemoryCarryOverStore<TranscriptCarry>(),
      pii: piiScanner('local', DEFAULT_CONFIG),
      detectors,
    };
    for (const p of payloads) {
      const { chunks } = readSubscription(JSON.parse(p), 'bench');
      for (const c of chunks) await processChunk(c, deps, published);
    }
  };
  await best(5, floor);
  await best(5, scan);
  const floorMs = await best(reps, floor);
  const scanMs = await best(reps, scan);
  return {
    transcriptScanRatio: round(floorMs / scanMs),
    transcriptDetail: {
      deliveries: payloads.length,
      payloadKiB: round(bytes / 1024),
      decodeMs: round(floorMs),
      scanMs: round(scanMs),
      scanMiBps: round(bytes / 2 ** 20 / (scanMs / 1000)),
    },
  };
}
