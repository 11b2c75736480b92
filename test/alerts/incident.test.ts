import { describe, expect, it } from 'vitest';
import { MemoryIncidentStore, MemorySuppressionStore } from '#cli/state';
import { incidentFinding, incidentOf, type NotifyDeps, notifyFinding } from '#shared/alerts/incident';
import { sweepDigests } from '#shared/alerts/sweep';
import type { Alert } from '#shared/format/alert';
import { parseConfig } from '#shared/model/config';
import { DIGEST_EXCERPT_MAX } from '#shared/model/digest';
import { ruleById } from '#shared/rules/index';
import type { SuppressionStore } from '#shared/state/types';
import { suppressionKeyOf } from '#shared/suppress/key';
import { MASKED, makeFinding } from '../format/findings';

const T0 = Date.parse('2026-03-02T14:05:00Z');
const MIN = 60_000;

function deps(minSeverity: 'MEDIUM' | 'HIGH' = 'HIGH') {
  const sent: Alert[] = [];
  let held = 0;
  const d: NotifyDeps = {
    config: parseConfig({ alerts: { minSeverity } }),
    incidents: new MemoryIncidentStore(),
    publisher: {
      publish: async (a: Alert) => {
        sent.push(a);
        return 'msg';
      },
    },
    ruleById,
    onHeld: () => {
      held++;
    },
  };
  return { d, sent, held: () => held };
}

const idOf = (a: Alert) => (a.kind === 'digest' ? a.digest.id : a.finding.id);

describe('incidentOf', () => {
  it('keys a finding on its session; without one on account, principal and category; else nothing', () => {
    const inSession = incidentOf(makeFinding({ sessionId: 's-1' }));
    expect(inSession?.scope).toBe('session');
    expect(inSession?.key).toBe(incidentOf(makeFinding({ sessionId: 's-1', account: undefined }))?.key);
    const tamper = makeFinding({ sessionId: undefined, category: 'monitor-tampering' });
    const p = incidentOf(tamper);
    expect(p?.scope).toBe('principal');
    expect(p?.key).not.toBe(incidentOf({ ...tamper, category: 'access-denied' })?.key);
    expect(p?.key).not.toBe(incidentOf({ ...tamper, account: '999999999999' })?.key);
    expect(incidentOf(makeFinding({ sessionId: undefined, principal: undefined }))).toBeUndefined();
  });

  it('keeps the who and where of the finding, each value bounded', () => {
    const long = 'x'.repeat(5_000);
    const inc = incidentOf(makeFinding({ sessionId: 's-1', target: long }));
    expect(inc?.subject).toMatchObject({
      scope: 'session',
      sessionId: 's-1',
      category: 'secret',
      account: '123456789012',
      principal: { name: 'alice' },
    });
    expect(inc?.subject.target?.length).toBeLessThanOrEqual(512);
  });
});

describe('incidentFinding', () => {
  it('keeps one masked excerpt, bounded, falling back to the first reason', () => {
    const f = makeFinding();
    expect(incidentFinding(f).excerpt).toBe(f.evidence[0]?.excerpt);
    expect(incidentFinding(f).excerpt).toContain(MASKED.accessKey);
    const reasonOnly = incidentFinding(makeFinding({ evidence: [], reasons: ['r'.repeat(1_000)] }));
    expect(reasonOnly.excerpt?.length).toBeLessThanOrEqual(DIGEST_EXCERPT_MAX);
    expect(incidentFinding(makeFinding({ evidence: [], reasons: [] })).excerpt).toBeUndefined();
  });
});

describe('notifyFinding', () => {
  it('honours the threshold, opens once, escalates once, holds the rest', async () => {
    const { d, sent, held } = deps();
    const f = (id: string, extra: Parameters<typeof makeFinding>[0] = {}) =>
      makeFinding({ id, sessionId: 's-1', ...extra });
    expect(await notifyFinding(f('low', { severity: 'MEDIUM' }), d, T0)).toEqual({
      status: 'below-threshold',
    });
    expect(await notifyFinding(f('a'), d, T0)).toEqual({
      status: 'published',
      kind: 'opened',
      messageId: 'msg',
    });
    expect(await notifyFinding(f('b'), d, T0 + MIN)).toEqual({ status: 'held', window: 1 });
    expect(await notifyFinding(f('c', { severity: 'CRITICAL' }), d, T0 + 2 * MIN)).toMatchObject({
      kind: 'escalated',
    });
    expect(await notifyFinding(f('d', { severity: 'CRITICAL' }), d, T0 + 3 * MIN)).toEqual({
      status: 'held',
      window: 1,
    });
    expect(await notifyFinding(f('e'), d, T0 + 20 * MIN)).toEqual({ status: 'held', window: 2 });
    expect(sent.map((a) => [a.kind, idOf(a)])).toEqual([
      ['opened', 'a'],
      ['escalated', 'c'],
    ]);
    expect(held()).toBe(3);
    // The opening alert says when the digest is due.
    const opened = sent[0];
    expect(opened?.kind !== 'digest' && opened?.note.digestAt).toBe(new Date(T0 + 15 * MIN).toISOString());
  });

  it('alerts a finding with nothing to group on by itself, every time', async () => {
    const { d, sent } = deps();
    const bare = (id: string) => makeFinding({ id, sessionId: undefined, principal: undefined });
    await notifyFinding(bare('t1'), d, T0);
    await notifyFinding(bare('t2'), d, T0);
    expect(sent.map((a) => a.kind)).toEqual(['single', 'single']);
  });
});

describe('notifyFinding with suppressions', () => {
  const f = (id: string, extra: Parameters<typeof makeFinding>[0] = {}) =>
    makeFinding({ id, sessionId: 's-1', ...extra });
  const LATER = '2026-03-03T00:00:00.000Z';

  it('skips a finding marked at detection: nothing published, nothing counted into its incident', async () => {
    const { d, sent, held } = deps();
    const skipped: string[] = [];
    d.onSuppressed = (x) => skipped.push(x.id);
    const marked = f('a', { severity: 'CRITICAL', suppressed: { by: 'config', until: LATER } });
    expect(await notifyFinding(marked, d, T0)).toEqual({ status: 'suppressed', by: 'config' });
    expect(sent).toEqual([]);
    expect(skipped).toEqual(['a']);
    // The incident never saw it: the next finding opens it, and a CRITICAL one still escalates.
    expect(await notifyFinding(f('b'), d, T0 + MIN)).toMatchObject({ status: 'published', kind: 'opened' });
    expect(await notifyFinding(f('c', { severity: 'CRITICAL' }), d, T0 + 2 * MIN)).toMatchObject({
      kind: 'escalated',
    });
    expect(held()).toBe(0);
  });

  it('asks the configuration and the store again at notification time', async () => {
    const { d, sent } = deps();
    const store = new MemorySuppressionStore();
    d.suppressions = store;
    d.config = parseConfig({
      alerts: { minSeverity: 'HIGH' },
      suppressions: [{ rule: 'cmd-reverse-shell', principal: '*/alice', expires: LATER }],
    });
    expect(await notifyFinding(f('a', { ruleId: 'cmd-reverse-shell' }), d, T0)).toMatchObject({
      status: 'suppressed',
      by: 'config',
    });
    // "Suppress similar" pressed after detection: the unmarked finding is still skipped.
    await store.put(suppressionKeyOf(f('b')), T0 + 10 * MIN);
    expect(await notifyFinding(f('b'), d, T0 + MIN)).toEqual({ status: 'suppressed', by: 'slack' });
    // Once it ran out the same finding kind alerts again.
    expect(await notifyFinding(f('c'), d, T0 + 10 * MIN)).toMatchObject({
      status: 'published',
      kind: 'opened',
    });
    expect(sent.map(idOf)).toEqual(['c']);
  });

  it('alerts when the store fails, and says so', async () => {
    const { d, sent } = deps();
    const errors: unknown[] = [];
    const failing: SuppressionStore = {
      put: async () => undefined,
      until: async () => {
        throw new Error('throttled');
      },
    };
    d.suppressions = failing;
    d.onSuppressionError = (e) => errors.push(e);
    expect(await notifyFinding(f('a'), d, T0)).toMatchObject({ status: 'published' });
    expect(sent).toHaveLength(1);
    expect(errors).toHaveLength(1);
  });

  it('keeps suppressed findings out of the digest', async () => {
    const { d, sent } = deps();
    await notifyFinding(f('a'), d, T0);
    await notifyFinding(f('b'), d, T0 + MIN);
    await notifyFinding(f('c', { suppressed: { by: 'slack', until: LATER } }), d, T0 + 2 * MIN);
    await notifyFinding(f('d', { suppressed: { by: 'config', until: LATER } }), d, T0 + 3 * MIN);
    await sweepDigests({ incidents: d.incidents, publisher: d.publisher, ruleById }, T0 + 16 * MIN);
    const digest = sent.find((a) => a.kind === 'digest');
    if (digest?.kind !== 'digest') throw new Error('no digest');
    expect(digest.digest).toMatchObject({ total: 2, alerted: 1 });
    expect(JSON.stringify(digest.digest)).not.toMatch(/"(c|d)"/);
  });
});
