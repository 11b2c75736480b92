import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseLines } from '#shared/transcript/terminal';
import type { TranscriptLine } from '#shared/transcript/types';

/** The corpus copied into the repo (see test/fixtures/sessions/PROVENANCE.md); CORPUS_DIR overrides it. */
export const SESSIONS_DIR = process.env.CORPUS_DIR ?? join(import.meta.dirname, '..', 'fixtures', 'sessions');

export interface Label {
  kind: string;
  subtype: string;
  value: string;
}

export function corpusAvailable(): boolean {
  return existsSync(join(SESSIONS_DIR, 'secrets', 'streaming.jsonl'));
}

export function labels(session: string): Label[] {
  return (JSON.parse(readFileSync(join(SESSIONS_DIR, session, 'labels.json'), 'utf8')) as { labels: Label[] })
    .labels;
}

/** Streaming events of a session as transcript lines, through the transcript module's normaliser. */
export function streamingLines(session: string): TranscriptLine[] {
  const raw: string[] = [];
  for (const row of readFileSync(join(SESSIONS_DIR, session, 'streaming.jsonl'), 'utf8').split('\n')) {
    if (row.trim()) raw.push(...(JSON.parse(row) as { sessionData: string[] }).sessionData);
  }
  return normaliseLines(raw).map((l, i) => ({ n: i + 1, text: l.text, erased: l.erased }));
}
