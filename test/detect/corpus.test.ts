import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLocalPiiDetector } from '#shared/detect/pii-local';
import { DEFAULT_CONFIG } from '#shared/model/config';

const localPiiDetector = createLocalPiiDetector(DEFAULT_CONFIG);

import { secretDetector } from '#shared/detect/secrets';
import { mask, maskCommand } from '#shared/mask';
import { annotateCommands } from '#shared/transcript/commands';
import { normaliseLines } from '#shared/transcript/terminal';
import type { Detection, TranscriptLine } from '#shared/transcript/types';
import { corpusAvailable, type Label, SESSIONS_DIR } from './helpers';

const SESSIONS = ['attacker', 'benign-admin', 'noisy-top', 'pii-leak', 'secrets', 'windows-like'];
/** NAME and ADDRESS need Comprehend; TYPED_AND_ERASED marks erased text, not an item. */
const NOT_LOCAL = new Set(['NAME', 'ADDRESS', 'TYPED_AND_ERASED']);
/** The same scenarios with decorated prompts and with Ubuntu's bare dash prompts (`$ `, `# `). */
const VARIANTS = [
  ['decorated', SESSIONS_DIR],
  ['bare', join(import.meta.dirname, '..', 'fixtures', 'sessions-bare')],
] as const;

function labelsOf(dir: string, session: string): Label[] {
  return (JSON.parse(readFileSync(join(dir, session, 'labels.json'), 'utf8')) as { labels: Label[] }).labels;
}

/** Streaming events of a session as the scan sees them: normalised, commands annotated. */
function streamingLines(dir: string, session: string): TranscriptLine[] {
  const raw: string[] = [];
  for (const row of readFileSync(join(dir, session, 'streaming.jsonl'), 'utf8').split('\n')) {
    if (row.trim()) raw.push(...(JSON.parse(row) as { sessionData: string[] }).sessionData);
  }
  const lines = normaliseLines(raw).map((l, i): TranscriptLine => {
    const line: TranscriptLine = { n: i + 1, text: l.text, erased: l.erased };
    if (l.marks) line.prompt = { marks: l.marks };
    return line;
  });
  annotateCommands(lines);
  return lines;
}

describe.each(VARIANTS)('corpus (%s prompts, streaming shape)', (_variant, dir) => {
  it('is present', () => {
    expect(corpusAvailable()).toBe(true);
  });

  const expected = SESSIONS.flatMap((session) =>
    corpusAvailable()
      ? labelsOf(dir, session)
          .filter((l) => (l.kind === 'secret' || l.kind === 'pii') && !NOT_LOCAL.has(l.subtype))
          .map((l) => ({ session, kind: l.kind, subtype: l.subtype, value: l.value }))
      : [],
  );
  const cache = new Map<string, { lines: TranscriptLine[]; detections: Detection[] }>();
  const scanned = (session: string) => {
    if (!cache.has(session)) {
      const lines = streamingLines(dir, session);
      cache.set(session, {
        lines,
        detections: [...secretDetector.scan(lines, {}), ...localPiiDetector.scan(lines, {})],
      });
    }
    return cache.get(session)!;
  };

  it('has secret and pii labels to check in every session that plants them', () => {
    expect(new Set(expected.map((e) => e.session))).toEqual(
      new Set(['attacker', 'pii-leak', 'secrets', 'windows-like']),
    );
  });

  it.each(expected.map((e) => ({ ...e, shown: mask(e.subtype, e.value) })))(
    '$session: $kind $subtype $shown is reported',
    ({ session, kind, subtype, value }) => {
      const hit = scanned(session).detections.find((d) => d.value === value && d.kind === subtype);
      expect(hit?.category).toBe(kind);
    },
  );

  it.each(['benign-admin', 'noisy-top'])('%s: no secret or personal data reported', (session) => {
    expect(scanned(session).detections.map((d) => `${d.kind}@${d.line}`)).toEqual([]);
  });

  it('the typed-then-erased text reaches the detectors as an erased fragment', () => {
    const line = scanned('pii-leak').lines.find((l) => l.erased.some((e) => e.includes('AAFFHHJJ')));
    expect(line?.text).toContain('grep');
    expect(line?.command).toMatch(/^grep /);
  });

  it.each(SESSIONS)('%s: no planted value in any masked excerpt or masked command line', (session) => {
    const planted = labelsOf(dir, session).filter((l) => l.kind === 'secret' || l.kind === 'pii');
    const leaks: string[] = [];
    const check = (excerpt: string, values: readonly string[]): void => {
      for (const v of values) if (excerpt.includes(v)) leaks.push(`${mask('X', v)} in ${mask('X', excerpt)}`);
    };
    const all = planted.map((l) => l.value);
    for (const d of scanned(session).detections) check(mask(d.kind, d.value), all);
    // Names and addresses in a command line need Comprehend; the local masker covers the rest.
    const local = planted.filter((l) => !NOT_LOCAL.has(l.subtype)).map((l) => l.value);
    for (const l of scanned(session).lines) {
      if (/[$#>] \S/.test(l.text)) check(maskCommand(l.text), local);
      if (l.command) check(maskCommand(l.command), local);
    }
    expect(leaks).toEqual([]);
  });
});
