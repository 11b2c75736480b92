import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../shared/model/config';
import { MemoryCarryOverStore } from '../shared/state/memory';
import { readSubscription } from '../shared/transcript/read';
import { scanTranscript } from '../shared/transcript/scan';
import { transcriptDetectors, piiScanner } from '../shared/engine';
const ROOT = 'test/fixtures/sessions';
const payloads: string[] = [];
for (const s of readdirSync(ROOT)) { try { for (const f of readdirSync(join(ROOT, s, 'subscription')).sort()) payloads.push(readFileSync(join(ROOT, s, 'subscription', f), 'utf8')); } catch {} }
const mode = process.argv[2];
for (let i = 0; i < 400; i++) {
  const ctx = { config: DEFAULT_CONFIG, carry: new MemoryCarryOverStore<any>(), pii: mode === 'all' ? piiScanner('local', DEFAULT_CONFIG) : undefined };
  const d = mode === 'all' ? transcriptDetectors() : [transcriptDetectors()[0]!];
  for (const p of payloads) { const { chunks } = readSubscription(JSON.parse(p), 'b'); for (const c of chunks) await scanTranscript(c, ctx, d); }
}
