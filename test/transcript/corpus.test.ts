import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { localPiiScanner } from '../../shared/detect/pii-local';
import { secretDetector } from '../../shared/detect/secrets';
import { atLeast } from '../../shared/model/finding';
import { createCommandDetector } from '../../shared/transcript/commands';
import { readTranscriptFile } from '../../shared/transcript/read';
import { normaliseLines } from '../../shared/transcript/terminal';
import { labelShapes, scanShape, scenarios, shapeFiles, shapesOf } from './corpus';

const all = scenarios();

/** Every risky-command label, in every shape where the corpus says it appears. */
const cases = all.flatMap((s) =>
  s.labels
    .filter((l) => l.kind === 'risky-command')
    .flatMap((l) =>
      labelShapes(l, shapesOf(s.name)).map((shape) => [s.name, shape, l.subtype, l.value] as const),
    ),
);

describe('risky commands of the corpus', () => {
  it('has labels to check in attacker and windows-like', () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(['attacker', 'windows-like']));
    expect(new Set(cases.map((c) => c[1]))).toEqual(new Set(['s3', 's3-agent', 'streaming', 'subscription']));
  });

  it.each(cases)('%s / %s: %s (%s)', async (scenario, shape, kind) => {
    const { findings, errors } = await scanShape(scenario, shape, [createCommandDetector()]);
    expect(errors).toEqual([]);
    const hit = findings.find(
      (f) => f.category === 'risky-command' && f.evidence.some((e) => e.kind === kind),
    );
    expect(hit, `${kind} in ${scenario}/${shape}`).toBeDefined();
    expect(hit!.source).toBe('transcript');
    expect(hit!.sessionId).toMatch(/^(mallory|erin)-/);
    if (shape === 'streaming' || shape === 'subscription') {
      // Only the streaming events carry the owner; raw logs get it from the StartSession record.
      expect(hit!.principal?.arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\//);
      expect(hit!.target).toMatch(/^i-0/);
    }
  });

  it.each(['attacker', 'windows-like'].flatMap((s) => shapesOf(s).map((shape) => [s, shape])))(
    '%s / %s: the same findings, counts and lines in every shape',
    async (scenario, shape) => {
      const summary = async (sh: typeof shape) =>
        (await scanShape(scenario, sh as never, [createCommandDetector()])).findings
          .map((f) => `${f.ruleId} ${f.severity} ${f.count}`)
          .sort();
      expect(await summary(shape)).toEqual(await summary('streaming'));
    },
  );

  it.each(['benign-admin', 'noisy-top'].flatMap((s) => shapesOf(s).map((shape) => [s, shape])))(
    '%s / %s: no risky-command finding at MEDIUM or above',
    async (scenario, shape) => {
      const { findings, errors } = await scanShape(scenario, shape as never, [createCommandDetector()]);
      expect(errors).toEqual([]);
      expect(findings.filter((f) => f.category === 'risky-command' && atLeast(f.severity, 'MEDIUM'))).toEqual(
        [],
      );
    },
  );
});

describe('typed-then-erased text stays scannable', () => {
  const erasedLabels = all.flatMap((s) =>
    s.labels
      .filter((l) => l.subtype === 'TYPED_AND_ERASED')
      .flatMap((l) => labelShapes(l, shapesOf(s.name)).map((shape) => [s.name, shape, l.value] as const)),
  );

  it.each(erasedLabels)('%s / %s: %s is in the erased text, not on screen', (scenario, shape, value) => {
    const texts: string[] = [];
    const erased: string[] = [];
    for (const file of shapeFiles(scenario, shape)) {
      for (const chunk of readTranscriptFile(readFileSync(file), file).chunks) {
        const raw = chunk.events.map((e) => e.text).join('\n');
        for (const l of normaliseLines(raw.split('\n'), chunk.columns ? { columns: chunk.columns } : {})) {
          texts.push(l.text);
          erased.push(...l.erased);
        }
      }
    }
    expect(erased).toContain(value);
    expect(texts.some((t) => t.includes(value))).toBe(false);
  });
});

describe('full pipeline output stays masked', () => {
  it.each(all.flatMap((s) => shapesOf(s.name).map((shape) => [s.name, shape] as const)))(
    '%s / %s: no planted secret or personal value in findings or errors',
    async (scenario, shape) => {
      const s = all.find((x) => x.name === scenario)!;
      const { findings, errors } = await scanShape(
        scenario,
        shape,
        [createCommandDetector(), secretDetector],
        localPiiScanner,
      );
      const out = JSON.stringify({ findings, errors });
      const planted = s.labels.filter((l) => l.kind !== 'risky-command' && l.value.length >= 6);
      for (const l of planted) expect(out.includes(l.value), `${l.subtype} leaked`).toBe(false);
    },
  );
});
