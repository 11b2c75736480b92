import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '#shared/model/finding';
import { processRecord } from '#shared/pipeline/record';
import { factsFor, readRecord } from '#shared/session/classify';
import { CLOUDTRAIL_FIXTURES, makeContext, readJson } from './helpers';

/** The one record pipeline (CLI and session-events): publish first, then the state writes. */

const role = readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-cloudtrail.json')) as Record<string, unknown>;
const sessionId = 'mallory-g7ob4wkz5r5f6ky4ng257scvtx';

describe('processRecord', () => {
  it('publishes the findings before it writes state', async () => {
    const deps = await makeContext();
    const order: string[] = [];
    const put = deps.sessions.put.bind(deps.sessions);
    deps.sessions.put = async (r) => {
      order.push('write');
      await put(r);
    };
    const r = await processRecord(role, deps, async (findings) => {
      order.push(`publish ${findings.map((f) => f.ruleId).join(',')}`);
    });
    expect(r).toEqual({ findings: [expect.objectContaining({ ruleId: 'session-start-shell' })] });
    expect(order).toEqual(['publish session-start-shell', 'write']);
    expect(await deps.sessions.get(sessionId)).toMatchObject({ sessionId });
  });

  it('a failed publish throws and leaves state untouched: the retry finds the same findings', async () => {
    const deps = await makeContext();
    const denied = { ...role, errorCode: 'AccessDenied', responseElements: null };
    await expect(
      processRecord(denied, deps, async () => {
        throw new Error('bus down');
      }),
    ).rejects.toThrow('bus down');
    const { window } = factsFor(readRecord(denied, deps.ctx).event!, deps.ctx);
    expect(window).toBeDefined();
    const { key, timeMs, windowMs } = window!;
    expect(await deps.windows.count(key, 'another event', timeMs, windowMs)).toBe(0);
    const published: Finding[] = [];
    const retry = await processRecord(denied, deps, async (f) => void published.push(...f));
    expect(retry.findings.map((f) => f.ruleId)).toEqual(['session-access-denied']);
    expect(published).toEqual(retry.findings);
  });

  it('no findings, no publish; the writes still apply', async () => {
    const deps = await makeContext();
    let calls = 0;
    const terminate = { ...role, eventName: 'TerminateSession', requestParameters: { sessionId } };
    const r = await processRecord(terminate, deps, async () => void calls++);
    expect(r).toEqual({ findings: [] });
    expect(calls).toBe(0);
    expect(await deps.sessions.get(sessionId)).toMatchObject({ endedAt: role.eventTime });
  });

  it('a failing store read becomes an error line before anything is published', async () => {
    const deps = await makeContext();
    deps.windows.count = async () => {
      throw new Error('ThrottlingException for alice@example.com');
    };
    let calls = 0;
    const r = await processRecord({ ...role, errorCode: 'AccessDenied' }, deps, async () => void calls++);
    expect(r).toEqual({
      findings: [],
      error: 'classification failed: Error: ThrottlingException for a***@e***.com',
    });
    expect(calls).toBe(0);
  });

  it('the denied-call burst counts across records through the window store', async () => {
    const deps = await makeContext({ config: { accessDenied: { burstThreshold: 3 } } });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await processRecord(
        { ...role, eventID: `denied-${i}`, errorCode: 'AccessDenied', responseElements: null },
        deps,
        async () => undefined,
      );
      ids.push(...r.findings.map((f) => `${f.ruleId}${f.count ? `×${f.count}` : ''}`));
    }
    expect(ids).toEqual([
      'session-access-denied',
      'session-access-denied',
      'session-access-denied-burst×3',
      'session-access-denied-burst×4',
    ]);
  });
});
