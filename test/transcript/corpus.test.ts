import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLocalPiiScanner } from '#shared/detect/pii-local';
import { secretDetector } from '#shared/detect/secrets';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { atLeast } from '#shared/model/finding';
import { createCommandDetector } from '#shared/transcript/commands';
import { readTranscriptFile } from '#shared/transcript/read';
import { normaliseLines } from '#shared/transcript/terminal';
import {
  labelShapes,
  type Shape,
  scanShape,
  scenarios,
  shapeFiles,
  shapesOf,
  VARIANTS,
  type Variant,
} from './corpus';

/** Command findings of one shape, as `ruleId severity count` (sorted). */
async function commandSummary(scenario: string, shape: Shape, variant: Variant, withCount = true) {
  const { findings } = await scanShape(scenario, shape, [createCommandDetector()], undefined, variant);
  return findings
    .filter((f) => f.category === 'risky-command')
    .map((f) => (withCount ? `${f.ruleId} ${f.severity} ${f.count}` : `${f.ruleId} ${f.severity}`))
    .sort();
}

describe.each(VARIANTS)('risky commands of the corpus (%s prompts)', (variant) => {
  const all = scenarios(variant);
  /** Every risky-command label, in every shape where the corpus says it appears. */
  const cases = all.flatMap((s) =>
    s.labels
      .filter((l) => l.kind === 'risky-command')
      .flatMap((l) =>
        labelShapes(l, shapesOf(s.name, variant)).map(
          (shape) => [s.name, shape, l.subtype, l.value] as const,
        ),
      ),
  );

  it('has labels to check in attacker and windows-like', () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(['attacker', 'windows-like']));
    const shapes =
      variant === 'bare'
        ? ['s3', 'streaming', 'subscription']
        : ['s3', 's3-agent', 'streaming', 'subscription'];
    expect(new Set(cases.map((c) => c[1]))).toEqual(new Set(shapes));
  });

  it.each(cases)('%s / %s: %s (%s)', async (scenario, shape, kind) => {
    const { findings, errors } = await scanShape(
      scenario,
      shape,
      [createCommandDetector()],
      undefined,
      variant,
    );
    expect(errors).toEqual([]);
    const hit = findings.find(
      (f) => f.category === 'risky-command' && f.evidence.some((e) => e.kind === kind),
    );
    expect(hit, `${kind} in ${scenario}/${shape}`).toBeDefined();
    expect(hit!.source).toBe('transcript');
    expect(hit!.sessionId).toBe(all.find((s) => s.name === scenario)!.sessionId);
    if (shape === 'streaming' || shape === 'subscription') {
      // Only the streaming events carry the owner; raw logs get it from the StartSession record.
      expect(hit!.principal?.arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\//);
      expect(hit!.target).toMatch(/^i-0/);
    }
  });

  it.each(
    ['attacker', 'secrets', 'windows-like'].flatMap((s) => shapesOf(s, variant).map((shape) => [s, shape])),
  )('%s / %s: the same findings, counts and lines in every shape', async (scenario, shape) => {
    expect(await commandSummary(scenario, shape as Shape, variant)).toEqual(
      await commandSummary(scenario, 'streaming', variant),
    );
  });

  it.each(['benign-admin', 'noisy-top'].flatMap((s) => shapesOf(s, variant).map((shape) => [s, shape])))(
    '%s / %s: no risky-command finding at MEDIUM or above',
    async (scenario, shape) => {
      const { findings, errors } = await scanShape(
        scenario,
        shape as Shape,
        [createCommandDetector()],
        undefined,
        variant,
      );
      expect(errors).toEqual([]);
      expect(findings.filter((f) => f.category === 'risky-command' && atLeast(f.severity, 'MEDIUM'))).toEqual(
        [],
      );
    },
  );
});

describe('both prompt styles give the same command findings', () => {
  // Counts differ until the scan passes the normaliser's prompt marks on: a bare prompt right after
  // output (`ec2-app-role# curl …`) is only seen through its mark.
  it.each(['attacker', 'secrets', 'windows-like', 'pii-leak', 'benign-admin'])('%s', async (scenario) => {
    expect(await commandSummary(scenario, 'streaming', 'bare', false)).toEqual(
      await commandSummary(scenario, 'streaming', 'decorated', false),
    );
  });
});

describe.each(VARIANTS)('typed-then-erased text stays scannable (%s prompts)', (variant) => {
  const erasedLabels = scenarios(variant).flatMap((s) =>
    s.labels
      .filter((l) => l.subtype === 'TYPED_AND_ERASED')
      .flatMap((l) =>
        labelShapes(l, shapesOf(s.name, variant)).map((shape) => [s.name, shape, l.value] as const),
      ),
  );

  it.each(erasedLabels)('%s / %s: %s is in the erased text, not on screen', (scenario, shape, value) => {
    const texts: string[] = [];
    const erased: string[] = [];
    for (const file of shapeFiles(scenario, shape, variant)) {
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

describe.each(VARIANTS)('full pipeline output stays masked (%s prompts)', (variant) => {
  const all = scenarios(variant);
  it.each(all.flatMap((s) => shapesOf(s.name, variant).map((shape) => [s.name, shape] as const)))(
    '%s / %s: no planted secret or personal value in findings or errors',
    async (scenario, shape) => {
      const s = all.find((x) => x.name === scenario)!;
      const { findings, errors } = await scanShape(
        scenario,
        shape,
        [createCommandDetector(), secretDetector],
        createLocalPiiScanner(DEFAULT_CONFIG),
        variant,
      );
      const out = JSON.stringify({ findings, errors });
      const planted = s.labels.filter((l) => l.kind !== 'risky-command' && l.value.length >= 6);
      for (const l of planted) expect(out.includes(l.value), `${l.subtype} leaked`).toBe(false);
    },
  );
});
