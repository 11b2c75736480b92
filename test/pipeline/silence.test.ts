import { describe, expect, it } from 'vitest';
import { MemorySessionStore, MemoryTranscriptWatch } from '#cli/state';
import { parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { SWEEP_STEP_MS, sweepSilence } from '#shared/pipeline/silence';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const SCOPE = { account: '111122223333', region: 'eu-west-1' };
const config = parseConfig({});

/** Three silent shell sessions due an hour apart, in a scope that streams transcripts. */
async function backlog() {
  const sessions = new MemorySessionStore();
  const watch = new MemoryTranscriptWatch();
  for (let h = 0; h < 3; h++) {
    const sessionId = `ops-${h}0000000000000000`;
    const start = T0 + h * HOUR;
    await sessions.put({
      sessionId,
      startTime: new Date(start).toISOString(),
      ...SCOPE,
      target: 'i-0a1b2c3d4e5f60718',
      principal: { arn: 'arn:aws:iam::111122223333:user/ops', type: 'IAMUser', name: 'ops' },
      sessionKind: 'shell',
    });
    await watch.expect(sessionId, start + 10 * 60_000);
  }
  await watch.arrived('other-session', T0 + 3 * HOUR, SCOPE);
  await watch.advance(T0);
  return { sessions, watch };
}

describe('sweepSilence', () => {
  it('judges a backlog an hour at a time: a failed publish keeps what the windows before it finished', async () => {
    expect(SWEEP_STEP_MS).toBe(HOUR);
    const { sessions, watch } = await backlog();
    const published: Finding[] = [];
    let calls = 0;
    const failSecond = async (findings: Finding[]) => {
      if (++calls === 2) throw new Error('bus unavailable');
      published.push(...findings);
    };
    const now = T0 + 3 * HOUR;
    await expect(sweepSilence({ config, sessions, watch }, now, failSecond)).rejects.toThrow(
      'bus unavailable',
    );
    expect(published.map((f) => f.sessionId)).toEqual(['ops-00000000000000000']);
    // The cursor stopped after the first hour: the next sweep starts there and judges the rest once.
    expect(await watch.cursor()).toBe(T0 + HOUR);
    const next = await sweepSilence({ config, sessions, watch }, now, async (f) => {
      published.push(...f);
    });
    expect(next.fromMs).toBe(T0 + HOUR);
    expect(published.map((f) => f.sessionId)).toEqual([
      'ops-00000000000000000',
      'ops-10000000000000000',
      'ops-20000000000000000',
    ]);
    expect(published.every((f) => f.ruleId === 'session-missing-transcript')).toBe(true);
    expect(await watch.cursor()).toBe(now);
    const again = await sweepSilence({ config, sessions, watch }, now + 5 * 60_000, async () => {
      throw new Error('nothing left to publish');
    });
    expect(again.findings).toEqual([]);
  });

  it('a replay judges its whole input in one step (fromMs given)', async () => {
    const { sessions, watch } = await backlog();
    let publishes = 0;
    const r = await sweepSilence(
      { config, sessions, watch },
      T0 + 3 * HOUR,
      async () => {
        publishes++;
      },
      { fromMs: Number.NEGATIVE_INFINITY },
    );
    expect(r.findings).toHaveLength(3);
    expect(publishes).toBe(1);
  });
});
