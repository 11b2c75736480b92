/**
 * Comprehend cost on the corpus: the PII scanner runs over the subscription deliveries of the
 * noisy-top and pii-leak sessions with a fake Comprehend (no network), flushing at the end of each
 * session, in both modes: Comprehend alone, and with the offline pre-screen (`pii.localPrescreen`).
 *   unitsVsFloor = units billed / ceil(characters sent / 100)          (goal ≤ 1.05: packing waste)
 *   unitsVsNaive = units billed / Σ over log events max(3, ceil(chars / 100))  (one request per event)
 *   recall       = labelled personal-data items reported with their type, over all labelled items
 * The fake answers as the service would for the labelled values it finds in the request text, so a
 * name or address the pre-screen cut or split would be missed. The top-level keys measure the mode the
 * stack deploys (the configuration default).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { codePoints } from '#shared/pii/pack';
import { PrescreenedPiiScanner } from '#shared/pii/prescreen';
import { ComprehendPiiScanner } from '#shared/pii/scanner';
import type { PiiStats } from '#shared/pii/types';
import { readSubscription } from '#shared/transcript/read';
import { normaliseLines } from '#shared/transcript/terminal';
import type { Detection, DetectorState, PiiScanner, TranscriptLine } from '#shared/transcript/types';
// The same labelled fake the tests use: answers every occurrence of a planted value, as the service would.
import { type Label, LabelledComprehend } from '#test/pii/corpus';

const SESSIONS = ['noisy-top', 'pii-leak'];

export type ComprehendMode = 'prescreen' | 'comprehend-only';

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
  /** Labelled personal-data items (distinct type + value) and how many were reported. */
  labels: number;
  found: number;
}

export interface ComprehendModeDetail {
  unitsVsFloor: number;
  unitsVsNaive: number;
  /** found / labels over all sessions (1 when there are no labels). */
  recall: number;
  sessions: Record<string, ComprehendSessionDetail>;
}

export interface ComprehendBench {
  comprehendUnitsVsFloor: number;
  comprehendUnitsVsNaive: number;
  /** The mode the two keys above measure: the stack's default. */
  comprehendMode: ComprehendMode;
  detail: Record<ComprehendMode, ComprehendModeDetail>;
}

export async function benchComprehend(sessionsDir: string): Promise<ComprehendBench> {
  const detail = {
    prescreen: await benchMode(sessionsDir, 'prescreen'),
    'comprehend-only': await benchMode(sessionsDir, 'comprehend-only'),
  };
  const deployed: ComprehendMode = DEFAULT_CONFIG.pii.localPrescreen ? 'prescreen' : 'comprehend-only';
  return {
    comprehendUnitsVsFloor: detail[deployed].unitsVsFloor,
    comprehendUnitsVsNaive: detail[deployed].unitsVsNaive,
    comprehendMode: deployed,
    detail,
  };
}

async function benchMode(sessionsDir: string, mode: ComprehendMode): Promise<ComprehendModeDetail> {
  const sessions: Record<string, ComprehendSessionDetail> = {};
  for (const name of SESSIONS) sessions[name] = await benchSession(join(sessionsDir, name), mode);
  const all = Object.values(sessions);
  const sum = (k: keyof ComprehendSessionDetail) => all.reduce((n, d) => n + d[k], 0);
  return {
    unitsVsFloor: round(sum('units') / Math.max(1, Math.ceil(sum('characters') / 100))),
    unitsVsNaive: round(sum('units') / Math.max(1, sum('naiveUnits'))),
    recall: sum('labels') ? round(sum('found') / sum('labels')) : 1,
    sessions,
  };
}

async function benchSession(dir: string, mode: ComprehendMode): Promise<ComprehendSessionDetail> {
  const labels = await personalDataLabels(dir);
  // Held-back text ages by the time of the log events, as it would with deliveries arriving live.
  let clock = 0;
  const config = { ...DEFAULT_CONFIG, pii: { ...DEFAULT_CONFIG.pii, localPrescreen: mode === 'prescreen' } };
  const comprehend = new ComprehendPiiScanner(new LabelledComprehend(labels), config, { now: () => clock });
  const scanner: PiiScanner & { stats: PiiStats } =
    mode === 'prescreen' ? new PrescreenedPiiScanner(comprehend, config) : comprehend;
  const state: DetectorState = {};
  const found: Detection[] = [];
  const subscription = join(dir, 'subscription');
  const files = (await readdir(subscription)).filter((f) => f.endsWith('.json')).sort();
  let nextLine = 1;
  let events = 0;
  let naiveUnits = 0;
  let sessionId = '';
  for (const file of files) {
    const payload = JSON.parse(await readFile(join(subscription, file), 'utf8'));
    const { chunks, errors } = readSubscription(payload, file);
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
      found.push(...(await scanner.scan(lines, state, chunk.sessionId)));
    }
  }
  found.push(...(await scanner.scan([], state, sessionId, { final: true })));
  const reported = new Set(found.map((d) => `${d.kind}|${d.value}`));
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
    labels: labels.length,
    found: labels.filter((l) => reported.has(`${l.subtype}|${l.value}`)).length,
  };
}

/** Labelled personal data, one per type and value (typed-then-erased marks text to scan, not an item). */
async function personalDataLabels(dir: string): Promise<Label[]> {
  const parsed = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as { labels?: Label[] };
  const seen = new Set<string>();
  return (parsed.labels ?? []).filter((l) => {
    const key = `${l.subtype}|${l.value}`;
    if (l.kind !== 'pii' || l.subtype === 'TYPED_AND_ERASED' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
