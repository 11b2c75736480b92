import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MemoryCarryOverStore,
  MemorySessionStore,
  MemorySuppressionStore,
  MemoryTranscriptWatch,
} from '#cli/state';
import { parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { processRecord } from '#shared/pipeline/record';
import { sweepSilence } from '#shared/pipeline/silence';
import { type ChunkDeps, processChunk } from '#shared/pipeline/transcript';
import type { SuppressionStore } from '#shared/state/types';
import { suppressionKeyOf } from '#shared/suppress/key';
import { createCommandDetector } from '#shared/transcript/commands';
import type { TranscriptCarry, TranscriptChunk } from '#shared/transcript/types';
import { CLOUDTRAIL_FIXTURES, makeContext, readJson } from '../session/helpers';

/** Every pipeline publishes suppressed findings all the same, marked; the notifier skips them. */

const role = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-cloudtrail.json')) as Record<string, unknown>;
const INSTANCE = 'i-0e57975fb4405c6a9';
const MALLORY = '*:role/ContractorAccess';
const LATER = '2026-11-23T00:00:00Z';

function collect() {
  const published: Finding[] = [];
  return { published, publish: async (f: Finding[]) => void published.push(...f) };
}

const failing = (calls: { n: number }): SuppressionStore => ({
  put: async () => undefined,
  until: async () => {
    calls.n++;
    throw new Error('ThrottlingException');
  },
});

describe('processRecord', () => {
  it('marks a finding by a configured target-tag suppression, from the tags the facts hold', async () => {
    const deps = await makeContext({
      config: {
        suppressions: [
          { rule: '*', principal: MALLORY, targetTag: { key: 'Env', value: 'dev' }, expires: LATER },
        ],
      },
      tags: { [INSTANCE]: { Env: 'dev' } },
    });
    let lookups = 0;
    const tags = deps.tags;
    deps.tags = {
      tags: (t) => {
        lookups++;
        return tags.tags(t);
      },
    };
    const { published, publish } = collect();
    const r = await processRecord(role, deps, publish);
    expect(published).toEqual(r.findings);
    expect(published.map((f) => f.suppressed)).toEqual([{ by: 'config', until: '2026-11-23T00:00:00.000Z' }]);
    expect(lookups).toBe(1);
  });

  it('leaves a finding whose target lacks the tag, or whose suppression expired, unmarked', async () => {
    for (const [value, expires] of [
      ['prod', LATER],
      ['dev', '2026-11-22T02:03:28Z'],
    ]) {
      const deps = await makeContext({
        config: {
          suppressions: [{ rule: '*', targetTag: { key: 'Env', value: value! }, expires: expires! }],
        },
        tags: { [INSTANCE]: { Env: 'dev' } },
      });
      const { published, publish } = collect();
      await processRecord(role, deps, publish);
      expect(published.map((f) => f.suppressed)).toEqual([undefined]);
    }
  });

  it('marks by "Suppress similar" from the store', async () => {
    const deps = await makeContext();
    const first = await processRecord(role, deps, async () => undefined);
    const store = new MemorySuppressionStore();
    await store.put(suppressionKeyOf(first.findings[0]!), Date.parse(LATER));
    const { published, publish } = collect();
    await processRecord(role, { ...(await makeContext()), suppressions: store }, publish);
    expect(published[0]?.suppressed).toEqual({ by: 'slack', until: '2026-11-23T00:00:00.000Z' });
  });

  it('publishes unmarked and writes state when the store fails', async () => {
    const calls = { n: 0 };
    const errors: unknown[] = [];
    const deps = {
      ...(await makeContext()),
      suppressions: failing(calls),
      onSuppressionError: (e: unknown) => errors.push(e),
    };
    const { published, publish } = collect();
    const r = await processRecord(role, deps, publish);
    expect(r.error).toBeUndefined();
    expect(published.map((f) => [f.ruleId, f.suppressed])).toEqual([['session-start-shell', undefined]]);
    expect(errors).toHaveLength(calls.n);
    expect(calls.n).toBe(1);
    expect(await deps.sessions.get('mallory-g7ob4wkz5r5f6ky4ng257scvtx')).toBeDefined();
  });
});

describe('processChunk', () => {
  const SESSION = 'alice-0123456789abcdef0';
  const chunk = (id: string): TranscriptChunk => ({
    sessionId: SESSION,
    origin: 'test',
    events: [{ time: '2026-11-22T02:05:00Z', text: '[ssm-user@ip-10-0-1-23 ~]$ history -c', id }],
  });
  async function deps(extra: Partial<ChunkDeps> = {}, suppressions: unknown[] = []): Promise<ChunkDeps> {
    const sessions = new MemorySessionStore();
    await sessions.put({
      sessionId: SESSION,
      startTime: '2026-11-22T02:00:00Z',
      target: INSTANCE,
      principal: { arn: 'arn:aws:iam::111122223333:user/alice', type: 'IAMUser', name: 'alice' },
    });
    return {
      config: parseConfig({ suppressions }),
      sessions,
      carry: new MemoryCarryOverStore<TranscriptCarry>(),
      pii: undefined,
      detectors: [createCommandDetector()],
      ...extra,
    };
  }

  it('marks by configuration and by the store; a target-tag suppression never matches (tags unknown)', async () => {
    const byConfig = collect();
    await processChunk(
      chunk('1'),
      await deps({}, [{ rule: '*', principal: '*/alice', expires: LATER }]),
      byConfig.publish,
    );
    expect(byConfig.published.length).toBeGreaterThan(0);
    expect(byConfig.published.every((f) => f.suppressed?.by === 'config')).toBe(true);

    const tagged = collect();
    await processChunk(
      chunk('1'),
      await deps({}, [{ rule: '*', targetTag: { key: 'Env', value: 'dev' }, expires: LATER }]),
      tagged.publish,
    );
    expect(tagged.published.every((f) => f.suppressed === undefined)).toBe(true);

    const store = new MemorySuppressionStore();
    await store.put(suppressionKeyOf(tagged.published[0]!), Date.parse(LATER));
    const bySlack = collect();
    const r = await processChunk(chunk('1'), await deps({ suppressions: store }), bySlack.publish);
    expect(bySlack.published[0]?.suppressed?.by).toBe('slack');
    expect(r.findings).toEqual(bySlack.published);
  });

  it('publishes unmarked when the store fails', async () => {
    const calls = { n: 0 };
    const errors: unknown[] = [];
    const { published, publish } = collect();
    await processChunk(
      chunk('1'),
      await deps({ suppressions: failing(calls), onSuppressionError: (e) => errors.push(e) }),
      publish,
    );
    expect(published.length).toBeGreaterThan(0);
    expect(published.every((f) => f.suppressed === undefined)).toBe(true);
    expect(errors).toHaveLength(published.length);
  });
});

describe('sweepSilence', () => {
  it('marks a missing-transcript finding suppressed from the store, at the sweep time', async () => {
    const T0 = Date.parse('2026-03-01T00:00:00Z');
    const scope = { account: '111122223333', region: 'eu-west-1' };
    const sessions = new MemorySessionStore();
    const watch = new MemoryTranscriptWatch();
    const sessionId = 'ops-00000000000000000';
    await sessions.put({
      sessionId,
      startTime: new Date(T0).toISOString(),
      ...scope,
      target: INSTANCE,
      principal: { arn: 'arn:aws:iam::111122223333:user/ops', type: 'IAMUser', name: 'ops' },
      sessionKind: 'shell',
    });
    await watch.expect(sessionId, T0 + 600_000);
    await watch.arrived('other-session', T0 + 3_600_000, scope);
    await watch.advance(T0);
    const store = new MemorySuppressionStore();
    const key = {
      ruleId: 'session-missing-transcript',
      principal: 'arn:aws:iam::111122223333:user/ops',
      target: INSTANCE,
    };
    await store.put(key, T0 + 7_200_000);
    const { published, publish } = collect();
    const r = await sweepSilence(
      { config: parseConfig({}), sessions, watch, suppressions: store },
      T0 + 3_600_000,
      publish,
    );
    expect(published.map((f) => f.suppressed)).toEqual([
      { by: 'slack', until: new Date(T0 + 7_200_000).toISOString() },
    ]);
    expect(r.findings).toEqual(published);
  });
});
