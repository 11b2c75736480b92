import { describe, expect, it } from 'vitest';
import { MemorySuppressionStore } from '#cli/state';
import { parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { isExempt } from '#shared/respond/respond';
import type { SuppressionStore } from '#shared/state/types';
import { globMatch, principalMatches } from '#shared/suppress/glob';
import { suppressionKeyOf } from '#shared/suppress/key';
import { configSuppression, markSuppressed } from '#shared/suppress/match';
import { makeFinding } from '../format/findings';

const NOW = Date.parse('2026-03-02T14:05:09Z');
const HOUR = 3_600_000;
const LATER = '2026-03-03T00:00:00Z';
const ALICE_SESSION = 'arn:aws:sts::123456789012:assumed-role/Admin/alice';

const config = (suppressions: unknown[]) => parseConfig({ suppressions });
const finding = (overrides: Partial<Finding> = {}) => makeFinding(overrides);

describe('globMatch', () => {
  it('matches `*` as any run of characters, case ignored, anchored at both ends', () => {
    expect(globMatch('arn:aws:iam::*:role/BreakGlass*', 'arn:aws:iam::123456789012:role/breakglass-1')).toBe(
      true,
    );
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('a*b*c', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbxxc')).toBe(true);
    expect(globMatch('a*b*c', 'axxcxxb')).toBe(false);
    expect(globMatch('ab*ba', 'aba')).toBe(false);
    expect(globMatch('abc', 'abcd')).toBe(false);
    expect(globMatch('*abc', 'xabcd')).toBe(false);
    expect(globMatch('a.c', 'abc')).toBe(false);
    expect(globMatch('(a+)+$', '(a+)+$')).toBe(true);
  });

  it('agrees with the responder matcher on ordinary patterns', () => {
    const arns = [
      ALICE_SESSION,
      'arn:aws:iam::123456789012:role/BreakGlassAdmin',
      'arn:aws:iam::123456789012:user/bob',
      'arn:aws:sts::123456789012:assumed-role/BreakGlass-ops/carol',
    ];
    const patterns = [
      'arn:aws:iam::*:role/BreakGlass*',
      'arn:aws:iam::*:role/ops/team/BreakGlass*',
      '*:user/*',
      'arn:aws:iam::123456789012:role/Admin',
      '*',
    ];
    for (const a of arns)
      for (const p of patterns) expect(principalMatches(a, p), `${p} ~ ${a}`).toBe(isExempt(a, [p]));
  });

  it('stays fast on hostile patterns: long, many stars, near misses', () => {
    // Each of these backtracks for ages as a regular expression (`^.*a.*a…b$`).
    const text = `${'a'.repeat(20_000)}b`;
    const started = performance.now();
    expect(globMatch(`${'*a'.repeat(20_001)}*b`, text)).toBe(false);
    expect(globMatch(`${'*a'.repeat(500)}*b`, text)).toBe(true);
    expect(globMatch(`${'*aa'.repeat(50)}*ab*b`, text)).toBe(false);
    expect(globMatch(`${'*'.repeat(5_000)}a`, text)).toBe(false);
    const arn = `arn:aws:sts::123456789012:assumed-role/${'a'.repeat(64)}/${'a'.repeat(64)}`;
    expect(principalMatches(arn, `arn:aws:iam::*:role/x/${'a*'.repeat(200)}b`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('configSuppression', () => {
  it("matches any rule with '*' and exactly one rule otherwise", () => {
    expect(configSuppression(finding(), config([{ rule: '*', expires: LATER }]), NOW)).toEqual({
      until: '2026-03-03T00:00:00.000Z',
    });
    const key = finding({ ruleId: 'secret-aws-access-key' });
    expect(
      configSuppression(key, config([{ rule: 'secret-aws-access-key', expires: LATER }]), NOW),
    ).toBeDefined();
    expect(configSuppression(key, config([{ rule: 'cmd-root-shell', expires: LATER }]), NOW)).toBeUndefined();
  });

  it('matches the principal pattern, an assumed role also by its role ARN', () => {
    const by = (principal: string) =>
      configSuppression(finding(), config([{ rule: '*', principal, expires: LATER }]), NOW);
    expect(by('arn:aws:iam::123456789012:role/Admin')).toBeDefined();
    expect(by('arn:aws:iam::*:role/path/Adm*')).toBeDefined();
    expect(by('*/alice')).toBeDefined();
    expect(by('*/bob')).toBeUndefined();
    expect(by('arn:aws:iam::999999999999:role/Admin')).toBeUndefined();
  });

  it("needs a principal for any pattern but '*'", () => {
    const bare = finding({ principal: undefined });
    expect(configSuppression(bare, config([{ rule: '*', expires: LATER }]), NOW)).toBeDefined();
    expect(
      configSuppression(bare, config([{ rule: '*', principal: '**', expires: LATER }]), NOW),
    ).toBeUndefined();
  });

  it('matches a target tag only when the tags are known and carry it (own keys only)', () => {
    const c = config([{ rule: '*', targetTag: { key: 'Environment', value: 'dev' }, expires: LATER }]);
    expect(configSuppression(finding(), c, NOW, { Environment: 'dev' })).toBeDefined();
    expect(configSuppression(finding(), c, NOW, { Environment: 'prod' })).toBeUndefined();
    expect(configSuppression(finding(), c, NOW, {})).toBeUndefined();
    expect(configSuppression(finding(), c, NOW)).toBeUndefined();
    const proto = config([{ rule: '*', targetTag: { key: 'toString', value: '' }, expires: LATER }]);
    expect(configSuppression(finding(), proto, NOW, {})).toBeUndefined();
  });

  it('is active until its expiry, exclusive, whatever the offset', () => {
    const c = config([{ rule: '*', expires: '2026-03-02T16:05:09+02:00' }]);
    expect(configSuppression(finding(), c, NOW - 1)).toEqual({ until: '2026-03-02T14:05:09.000Z' });
    expect(configSuppression(finding(), c, NOW)).toBeUndefined();
    expect(configSuppression(finding(), c, NOW + 1)).toBeUndefined();
  });

  it('returns the first active match with its reason', () => {
    const c = config([
      { rule: '*', expires: '2026-01-01T00:00:00Z', reason: 'expired' },
      { rule: 'cmd-root-shell', expires: LATER, reason: 'other rule' },
      { rule: '*', principal: '*/alice', expires: LATER, reason: 'pen test' },
      { rule: '*', expires: '2026-12-31T00:00:00Z', reason: 'second' },
    ]);
    expect(configSuppression(finding(), c, NOW)).toEqual({
      until: '2026-03-03T00:00:00.000Z',
      reason: 'pen test',
    });
  });
});

describe('markSuppressed', () => {
  const slack = async (untilMs: number, f = finding()) => {
    const store = new MemorySuppressionStore();
    await store.put(suppressionKeyOf(f), untilMs);
    return store;
  };

  it('marks by the configuration first, then by the store, and leaves the rest alone', async () => {
    const store = await slack(NOW + HOUR);
    const other = finding({ id: 'other', ruleId: 'cmd-root-shell' });
    const [byConfig] = await markSuppressed([finding()], {
      config: config([{ rule: '*', expires: LATER }]),
      store,
      now: NOW,
    });
    expect(byConfig?.suppressed).toEqual({ by: 'config', until: '2026-03-03T00:00:00.000Z' });
    const [bySlack, untouched] = await markSuppressed([finding(), other], {
      config: config([]),
      store,
      now: NOW,
    });
    expect(bySlack?.suppressed).toEqual({ by: 'slack', until: new Date(NOW + HOUR).toISOString() });
    expect(untouched).toEqual(other);
  });

  it('asks the store for exactly the finding key, active at the time given', async () => {
    const store = await slack(NOW + HOUR);
    const elsewhere = finding({ target: 'i-0fff1234def567890' });
    const marked = await markSuppressed([elsewhere], { config: config([]), store, now: NOW });
    expect(marked[0]?.suppressed).toBeUndefined();
    const atTime = await markSuppressed([finding()], { config: config([]), store, now: () => NOW + HOUR });
    expect(atTime[0]?.suppressed).toBeUndefined();
  });

  it('keeps every finding, unmarked, when the store fails, and reports each failure', async () => {
    const failing: SuppressionStore = {
      put: async () => undefined,
      until: async () => {
        throw new Error('throttled');
      },
    };
    const errors: unknown[] = [];
    const input = [finding(), finding({ id: 'b' })];
    const out = await markSuppressed(input, {
      config: config([]),
      store: failing,
      now: NOW,
      onError: (e) => errors.push(e),
    });
    expect(out).toEqual(input);
    expect(errors).toHaveLength(2);
  });

  it('looks tags up only for an active target-tag suppression, once per target, unknown on failure', async () => {
    const asked: string[] = [];
    const tagged = config([{ rule: '*', targetTag: { key: 'Environment', value: 'dev' }, expires: LATER }]);
    const tagsOf = async (t: string) => {
      asked.push(t);
      return { Environment: 'dev' };
    };
    const out = await markSuppressed([finding(), finding({ id: 'b' })], { config: tagged, now: NOW, tagsOf });
    expect(out.every((f) => f.suppressed?.by === 'config')).toBe(true);
    expect(asked).toEqual(['i-0abc1234def567890']);
    await markSuppressed([finding()], { config: config([{ rule: '*', expires: LATER }]), now: NOW, tagsOf });
    expect(asked).toHaveLength(1);
    const failing = await markSuppressed([finding()], {
      config: tagged,
      now: NOW,
      tagsOf: async () => {
        throw new Error('ec2 down');
      },
    });
    expect(failing[0]?.suppressed).toBeUndefined();
  });

  it('keeps a mark already set', async () => {
    const marked = finding({ suppressed: { by: 'slack', until: LATER } });
    const [out] = await markSuppressed([marked], {
      config: config([{ rule: '*', expires: LATER }]),
      now: NOW,
    });
    expect(out).toBe(marked);
  });
});
