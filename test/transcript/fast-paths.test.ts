import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { COMMAND_RULES, type CommandRule } from '#shared/rules/command-rules';
import { createCommandDetector } from '#shared/transcript/commands';
import { scanTranscript } from '#shared/transcript/scan';
import { forEachScreenLine, normaliseLines } from '#shared/transcript/terminal';
import type { Detection, Detector, TranscriptCarry, TranscriptLine } from '#shared/transcript/types';

const commandLines = (...commands: string[]): TranscriptLine[] =>
  commands.map((command, i) => ({ n: i + 1, text: `$ ${command}`, erased: [], command }));

/** The detector without any prefilter: every pattern of every rule, as the rules are written. */
function naive(rules: readonly CommandRule[], commands: string[]): string[] {
  return commands.flatMap((c) => rules.filter((r) => r.patterns.some((p) => p.test(c))).map((r) => r.id));
}

describe('command prefilter (one combined regex before the per-rule patterns)', () => {
  const all = COMMAND_RULES.flatMap((r) => [...r.examples.match, ...r.examples.noMatch]);

  it('reports the same rules as running every pattern, on every rule example', () => {
    const got = all.flatMap((c) =>
      createCommandDetector()
        .scan(commandLines(c), {})
        .map((d) => d.ruleId),
    );
    expect(got).toEqual(naive(COMMAND_RULES, all));
  });

  it('falls back to the patterns themselves when they cannot be combined', () => {
    const rule = (id: string, patterns: RegExp[]): CommandRule => ({
      ...COMMAND_RULES[0]!,
      id,
      patterns,
    });
    // Mixed flags, a backreference and a named group used twice: no combined regex.
    const rules = [
      rule('a', [/(?<w>ab)\k<w>/]),
      rule('b', [/(?<w>cd)/i]),
      rule('c', [/(x)\1/]),
      rule('d', [/zz/g]),
    ];
    const commands = ['abab', 'CD', 'xx', 'zz', 'nothing'];
    const got = commands.flatMap((c) =>
      createCommandDetector(rules)
        .scan(commandLines(c), {})
        .map((d) => d.ruleId),
    );
    expect(got).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sees rules edited after the detector was built', () => {
    const rules: CommandRule[] = [{ ...COMMAND_RULES[0]!, id: 'x', patterns: [/\bfoo\b/i] }];
    const detector = createCommandDetector(rules);
    expect(detector.scan(commandLines('bar'), {})).toEqual([]);
    rules[0]!.patterns.push(/\bbar\b/i);
    expect(detector.scan(commandLines('bar'), {}).map((d) => d.ruleId)).toEqual(['x']);
    rules.push({ ...COMMAND_RULES[0]!, id: 'y', patterns: [/\bbaz\b/i] });
    expect(detector.scan(commandLines('baz'), {}).map((d) => d.ruleId)).toEqual(['y']);
  });
});

describe('scan dedupe by line (no key string per detection)', () => {
  it('counts each line, rule, kind and value once, also past the per-line run', async () => {
    // 40 distinct values on one line, every one reported three times.
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    const noisy: Detector = {
      name: 'noisy',
      scan: (lines) =>
        lines.flatMap((l) =>
          [...values, ...values, ...values].map(
            (value): Detection => ({
              ruleId: 'secret-jwt',
              category: 'secret',
              kind: 'JWT',
              severity: 'HIGH',
              line: l.n,
              value,
            }),
          ),
        ),
    };
    const ctx = { config: DEFAULT_CONFIG, pii: undefined };
    const chunk = { sessionId: 's-1', origin: 't', final: true, events: [{ time: 't', text: 'one line' }] };
    const { findings } = await scanTranscript(chunk, ctx, [noisy]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.count).toBe(40);
  });

  it('keeps a carried detector memo separate from the one passed in', async () => {
    const memo = '{"__proto__":{"x":1},"list":[1,{"a":2}]}';
    const prior: TranscriptCarry = {
      nextLine: 1,
      tail: '',
      counts: {},
      detectors: { memo: JSON.parse(memo) },
    };
    const seen: unknown[] = [];
    const memoDetector: Detector = {
      name: 'memo',
      scan: (_lines, state) => {
        seen.push(Object.getPrototypeOf(state) === Object.prototype, Object.keys(state));
        (state.list as unknown[]).push(3);
        throw new Error('boom');
      },
    };
    const ctx = { config: DEFAULT_CONFIG, pii: undefined, carry: prior };
    const r = await scanTranscript(
      { sessionId: 's-2', origin: 't', events: [{ time: 't', text: 'x\n' }] },
      ctx,
      [memoDetector],
    );
    expect(seen).toEqual([true, ['__proto__', 'list']]);
    expect(prior.detectors.memo).toEqual(JSON.parse(memo));
    expect(r.carry!.detectors.memo).toEqual(JSON.parse('{"__proto__":{"x":1},"list":[1,{"a":2},3]}'));
  });
});

describe('forEachScreenLine', () => {
  it('emits what normaliseLines returns', () => {
    const raw = ['plain', '\u001b[31mred\u001b[0m  ', 'abc\b\bXY', '', 'a\r\r', 'x\u001b[2Ky'];
    const got: unknown[] = [];
    forEachScreenLine(raw, {}, (index, text, erased) => got.push({ text, erased, index }));
    expect(got).toEqual(normaliseLines(raw));
  });
});
