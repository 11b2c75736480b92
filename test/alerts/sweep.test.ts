import { describe, expect, it } from 'vitest';
import { MemoryIncidentStore } from '#cli/state';
import { incidentFinding, incidentOf } from '#shared/alerts/incident';
import { DIGEST_LEASE_MS, DIGEST_LOOKBACK_MS, sweepDigests } from '#shared/alerts/sweep';
import type { Alert } from '#shared/format/alert';
import type { Finding } from '#shared/model/finding';
import { ruleById } from '#shared/rules/index';
import type { IncidentStore } from '#shared/state/types';
import { makeFinding } from '../format/findings';

const T0 = Date.parse('2026-03-02T14:05:00Z');
const MIN = 60_000;
const WINDOW = 15 * MIN;

async function record(store: IncidentStore, f: Finding, nowMs: number) {
  const inc = incidentOf(f);
  if (!inc) throw new Error('no incident');
  return store.record({ ...inc, finding: incidentFinding(f), nowMs, windowMs: WINDOW });
}

function publisher(fail = 0) {
  const sent: Alert[] = [];
  let failures = fail;
  return {
    sent,
    publish: async (a: Alert) => {
      if (failures-- > 0) throw new Error('SNS unavailable');
      sent.push(a);
      return 'm';
    },
  };
}

describe('sweepDigests', () => {
  it('sends one digest per closed window with news, nothing for a window that holds only its alert', async () => {
    const incidents = new MemoryIncidentStore();
    const pub = publisher();
    await record(incidents, makeFinding({ id: 'a', sessionId: 's-1' }), T0);
    await record(
      incidents,
      makeFinding({ id: 'b', sessionId: 's-1', ruleId: 'cmd-reverse-shell' }),
      T0 + MIN,
    );
    await record(incidents, makeFinding({ id: 'c', sessionId: 's-2' }), T0);
    const deps = { incidents, publisher: pub, ruleById };
    expect(await sweepDigests(deps, T0 + WINDOW - 1)).toMatchObject({ windows: 0, digests: 0 });
    expect(await sweepDigests(deps, T0 + WINDOW + 1)).toMatchObject({ windows: 2, digests: 1 });
    expect(pub.sent.map((a) => a.kind)).toEqual(['digest']);
    const [alert] = pub.sent;
    if (alert?.kind !== 'digest') throw new Error('no digest');
    expect(alert.digest).toMatchObject({ total: 2, alerted: 1, incident: { sessionId: 's-1' } });
    expect(alert.severity).toBe(alert.digest.severity);
    // Swept once: a later sweep sends nothing again.
    expect(await sweepDigests(deps, T0 + 2 * WINDOW)).toMatchObject({ windows: 0, digests: 0 });
    expect(pub.sent).toHaveLength(1);
  });

  it('a failed publish is sent by a later sweep once the lease ran out, and only once', async () => {
    const incidents = new MemoryIncidentStore();
    const pub = publisher(1);
    await record(incidents, makeFinding({ id: 'a', sessionId: 's-1' }), T0);
    await record(incidents, makeFinding({ id: 'b', sessionId: 's-1' }), T0 + MIN);
    const deps = { incidents, publisher: pub, ruleById };
    await expect(sweepDigests(deps, T0 + WINDOW + 1)).rejects.toThrow('SNS unavailable');
    // Earlier, empty hours of the look-back were done; the failed window's hour was not.
    expect(await incidents.cursor()).toBeLessThanOrEqual(T0 + WINDOW);
    // Still leased: held, the cursor stays at the window's close.
    expect(await sweepDigests(deps, T0 + WINDOW + MIN)).toMatchObject({ digests: 0 });
    expect(await incidents.cursor()).toBe(T0 + WINDOW);
    expect(await sweepDigests(deps, T0 + WINDOW + 1 + DIGEST_LEASE_MS + 1)).toMatchObject({ digests: 1 });
    expect(await sweepDigests(deps, T0 + WINDOW + 10 * MIN)).toMatchObject({ digests: 0 });
    expect(pub.sent).toHaveLength(1);
  });

  it('looks back at most DIGEST_LOOKBACK_MS and sweeps a backlog hour by hour', async () => {
    const incidents = new MemoryIncidentStore();
    const pub = publisher();
    for (let h = 0; h < 30; h++) {
      await record(incidents, makeFinding({ id: `a${h}`, sessionId: `s-${h}` }), T0 + h * 3_600_000);
      await record(incidents, makeFinding({ id: `b${h}`, sessionId: `s-${h}` }), T0 + h * 3_600_000 + 1);
    }
    const now = T0 + 31 * 3_600_000;
    const result = await sweepDigests({ incidents, publisher: pub, ruleById }, now);
    expect(result.fromMs).toBe(now - DIGEST_LOOKBACK_MS);
    // Windows closing in the last 24 h: those opened at hours 7 to 29.
    expect(result.digests).toBe(23);
    expect(await incidents.cursor()).toBe(now);
  });
});
