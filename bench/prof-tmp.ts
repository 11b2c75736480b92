import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { piiScanner, transcriptDetectors } from '../shared/engine';
import { DEFAULT_CONFIG } from '../shared/model/config';
import { MemoryCarryOverStore } from '../shared/state/memory';
import { readSubscription } from '../shared/transcript/read';
import { scanTranscript } from '../shared/transcript/scan';
import { createCommandDetector } from '../shared/transcript/commands';
import { secretDetector } from '../shared/detect/secrets';
const ROOT = 'test/fixtures/sessions';
for (const s of readdirSync(ROOT)) {
  let payloads: string[] = [];
  try { payloads = readdirSync(join(ROOT, s, 'subscription')).sort().map((f) => readFileSync(join(ROOT, s, 'subscription', f), 'utf8')); } catch { continue; }
  const variants: Record<string, () => any> = {
    decode: () => null,
    cmd: () => ({ d: [createCommandDetector()], pii: undefined }),
    cmdSecrets: () => ({ d: [createCommandDetector(), secretDetector], pii: undefined }),
    all: () => ({ d: transcriptDetectors(), pii: piiScanner('local', DEFAULT_CONFIG) }),
  };
  const row: Record<string, number> = {};
  for (const [name, mk] of Object.entries(variants)) {
    let best = 1e9;
    for (let r = 0; r < 30; r++) {
      const t = performance.now();
      const v = mk();
      const ctx = { config: DEFAULT_CONFIG, carry: new MemoryCarryOverStore<any>(), pii: v?.pii };
      for (const p of payloads) {
        if (!v) { const o = JSON.parse(p); const m = JSON.parse(gunzipSync(Buffer.from(o.awslogs.data, 'base64')).toString()); for (const e of m.logEvents) JSON.parse(e.message); continue; }
        const { chunks } = readSubscription(JSON.parse(p), 'b'); for (const c of chunks) await scanTranscript(c, ctx, v.d);
      }
      best = Math.min(best, performance.now() - t);
    }
    row[name] = Math.round(best * 100) / 100;
  }
  console.log(s, JSON.stringify(row));
}
