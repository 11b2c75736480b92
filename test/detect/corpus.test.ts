import { describe, expect, it } from 'vitest';
import { localPiiDetector } from '../../shared/detect/pii-local';
import { secretDetector } from '../../shared/detect/secrets';
import { mask, maskCommand } from '../../shared/mask';
import type { Detection } from '../../shared/transcript/types';
import { corpusAvailable, labels, streamingLines } from './helpers';

const SESSIONS = ['attacker', 'benign-admin', 'noisy-top', 'pii-leak', 'secrets', 'windows-like'];
/** NAME and ADDRESS need Comprehend; TYPED_AND_ERASED marks erased text, not an item. */
const NOT_LOCAL = new Set(['NAME', 'ADDRESS', 'TYPED_AND_ERASED']);

function detect(session: string): Detection[] {
  const lines = streamingLines(session);
  return [...secretDetector.scan(lines, {}), ...localPiiDetector.scan(lines, {})];
}

describe('corpus (test/fixtures/sessions, streaming shape)', () => {
  it('is present', () => {
    expect(corpusAvailable()).toBe(true);
  });

  const expected = SESSIONS.flatMap((session) =>
    corpusAvailable()
      ? labels(session)
          .filter((l) => (l.kind === 'secret' || l.kind === 'pii') && !NOT_LOCAL.has(l.subtype))
          .map((l) => ({ session, kind: l.kind, subtype: l.subtype, value: l.value }))
      : [],
  );
  const cache = new Map<string, Detection[]>();
  const detections = (session: string): Detection[] => {
    if (!cache.has(session)) cache.set(session, detect(session));
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
      const hit = detections(session).find((d) => d.value === value && d.kind === subtype);
      expect(hit?.category).toBe(kind);
    },
  );

  it.each(['benign-admin', 'noisy-top'])('%s: no secret or personal data reported', (session) => {
    expect(detections(session).map((d) => `${d.kind}@${d.line}`)).toEqual([]);
  });

  it('the typed-then-erased text reaches the detectors as an erased fragment', () => {
    const line = streamingLines('pii-leak').find((l) => l.erased.some((e) => e.includes('AAFFHHJJ')));
    expect(line?.text).toContain('grep');
  });

  it.each(SESSIONS)('%s: no planted value in any masked excerpt or masked command line', (session) => {
    const planted = labels(session).filter((l) => l.kind === 'secret' || l.kind === 'pii');
    const leaks: string[] = [];
    const check = (excerpt: string, values: readonly string[]): void => {
      for (const v of values) if (excerpt.includes(v)) leaks.push(`${mask('X', v)} in ${mask('X', excerpt)}`);
    };
    const all = planted.map((l) => l.value);
    for (const d of detections(session)) check(mask(d.kind, d.value), all);
    // Names and addresses in a command line need Comprehend; the local masker covers the rest.
    const local = planted.filter((l) => !NOT_LOCAL.has(l.subtype)).map((l) => l.value);
    for (const l of streamingLines(session)) if (/[$#>] \S/.test(l.text)) check(maskCommand(l.text), local);
    expect(leaks).toEqual([]);
  });
});
