/**
 * Comprehend cost on the corpus: the scanner runs over the subscription deliveries of the noisy-top and
 * pii-leak sessions with a counting fake (no network), flushing at the end of each session.
 *   unitsVsFloor = units billed / ceil(characters sent / 100)          (goal ≤ 1.05: packing waste)
 *   unitsVsNaive = units billed / Σ over log events max(3, ceil(chars / 100))  (one request per event)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../shared/model/config';
import { codePoints } from '../shared/pii/pack';
import { ComprehendPiiScanner } from '../shared/pii/scanner';
import type { PiiDetectApi } from '../shared/pii/types';
import { readSubscription } from '../shared/transcript/read';
import { normaliseLines } from '../shared/transcript/terminal';
import type { DetectorState, TranscriptLine } from '../shared/transcript/types';

const SESSIONS = ['noisy-top', 'pii-leak'];

export interface ComprehendSessionDetail {
  deliveries: number;
  events: number;
  naiveUnits: number;
  requests: number;
  characters: number;
  units: number;
  floorUnits: number;
  unitsVsFloor: number;
  unitsVsNaive: number;
}

export interface ComprehendBench {
  comprehendUnitsVsFloor: number;
  comprehendUnitsVsNaive: number;
  detail: Record<string, ComprehendSessionDetail>;
}

/** Counts nothing itself: the scanner's own cost accounting is what is measured. */
const silentComprehend: PiiDetectApi = { detect: async () => [] };

export async function benchComprehend(sessionsDir: string): Promise<ComprehendBench> {
  const detail: Record<string, ComprehendSessionDetail> = {};
  for (const name of SESSIONS) detail[name] = await benchSession(join(sessionsDir, name, 'subscription'));
  const all = Object.values(detail);
  const sum = (k: keyof ComprehendSessionDetail) => all.reduce((n, d) => n + d[k], 0);
  return {
    comprehendUnitsVsFloor: round(sum('units') / Math.max(1, Math.ceil(sum('characters') / 100))),
    comprehendUnitsVsNaive: round(sum('units') / Math.max(1, sum('naiveUnits'))),
    detail,
  };
}

async function benchSession(dir: string): Promise<ComprehendSessionDetail> {
  // Held-back text ages by the time of the log events, as it would with deliveries arriving live.
  let clock = 0;
  const scanner = new ComprehendPiiScanner(silentComprehend, DEFAULT_CONFIG, { now: () => clock });
  const state: DetectorState = {};
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  let nextLine = 1;
  let events = 0;
  let naiveUnits = 0;
  let sessionId = '';
  for (const file of files) {
    const { chunks, errors } = readSubscription(JSON.parse(await readFile(join(dir, file), 'utf8')), file);
    if (errors.length) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
    for (const chunk of chunks) {
      sessionId = chunk.sessionId;
      const raw: string[] = [];
      for (const ev of chunk.events) {
        events++;
        naiveUnits += Math.max(3, Math.ceil(codePoints(ev.text) / 100));
        clock = Math.max(clock, Date.parse(ev.time) || 0);
        raw.push(...ev.text.split('\n'));
      }
      const lines: TranscriptLine[] = normaliseLines(raw).map((l) => ({
        n: nextLine++,
        text: l.text,
        erased: l.erased,
      }));
      await scanner.scan(lines, state, chunk.sessionId);
    }
  }
  await scanner.flush(state, sessionId);
  const { requests, characters, units } = scanner.stats;
  const floorUnits = Math.ceil(characters / 100);
  return {
    deliveries: files.length,
    events,
    naiveUnits,
    requests,
    characters,
    units,
    floorUnits,
    unitsVsFloor: round(units / Math.max(1, floorUnits)),
    unitsVsNaive: round(units / Math.max(1, naiveUnits)),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
