import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeFindingPublisher, fitFinding, MAX_REQUEST_BYTES } from '#shared/aws/bus';
import type { Finding } from '#shared/model/finding';

const eb = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'us-east-1' });
const delays: number[] = [];
const publisher = (maxAttempts = 4) =>
  new EventBridgeFindingPublisher({
    client,
    busName: 'ssm-sentinel',
    maxAttempts,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });

function finding(i: number, extra: Partial<Finding> = {}): Finding {
  return {
    id: `f${i}`,
    ruleId: 'session.port-forwarding',
    category: 'port-forwarding',
    severity: 'HIGH',
    title: 'Port forwarding',
    source: 'cloudtrail',
    time: '2026-03-01T12:00:00Z',
    reasons: [],
    evidence: [{ kind: 'PORT', excerpt: '5432' }],
    ...extra,
  };
}

beforeEach(() => {
  eb.reset();
  delays.length = 0;
});

describe('EventBridgeFindingPublisher', () => {
  it('sends findings as entries of the findings bus contract', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    await publisher().publish([finding(1)]);
    expect(eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: 'ssm-sentinel',
            Source: 'ssm-sentinel',
            DetailType: 'SSM Sentinel Finding',
            Detail: JSON.stringify(finding(1)),
            Time: new Date('2026-03-01T12:00:00Z'),
          },
        ],
      },
    ]);
  });

  it('sends nothing for no findings', async () => {
    await publisher().publish([]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('puts at most 10 entries in a call', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    await publisher().publish(Array.from({ length: 23 }, (_, i) => finding(i)));
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.map((e) => e.length)).toEqual([10, 10, 3]);
    expect(calls.flat().map((e) => JSON.parse(e.Detail ?? '{}').id)).toEqual(
      Array.from({ length: 23 }, (_, i) => `f${i}`),
    );
  });

  it('splits calls so no request exceeds 256 KB', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const big = (i: number) => finding(i, { evidence: [{ kind: 'EMAIL', excerpt: 'x'.repeat(100_000) }] });
    await publisher().publish([big(1), big(2), big(3), finding(4)]);
    const calls = eb.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
    expect(calls.map((e) => e.length)).toEqual([2, 2]);
    for (const entries of calls) {
      const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e.Detail ?? '') + 40, 0);
      expect(bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
  });

  it('retries only the failed entries with growing delays', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException' }, { ErrorCode: 'InternalFailure' }],
      })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'b' }, { ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'c' }] });
    await publisher().publish([finding(1), finding(2), finding(3)]);
    const ids = eb
      .commandCalls(PutEventsCommand)
      .map((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}').id));
    expect(ids).toEqual([['f1', 'f2', 'f3'], ['f2', 'f3'], ['f3']]);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[1]).toBeGreaterThanOrEqual(100);
    expect(delays[1]).toBeLessThanOrEqual(200);
  });

  it('throws after the last attempt, naming the error codes but no content', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    const secret = finding(1, { evidence: [{ kind: 'PASSWORD', excerpt: 'hunter2-masked' }] });
    const err = await publisher(3)
      .publish([secret])
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(err?.message).toBe('PutEvents: 1 finding(s) not accepted after 3 attempts (InternalFailure)');
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('propagates a failed call', async () => {
    eb.on(PutEventsCommand).rejects(new Error('AccessDeniedException'));
    await expect(publisher().publish([finding(1)])).rejects.toThrow('AccessDeniedException');
  });
});

describe('fitFinding', () => {
  it('leaves a finding that fits unchanged', () => {
    const f = finding(1);
    expect(fitFinding(f)).toBe(f);
  });

  it('shortens excerpts and drops trailing evidence of an oversized finding', () => {
    const evidence = Array.from({ length: 3000 }, (_, i) => ({
      kind: 'EMAIL',
      excerpt: `${i}-${'*'.repeat(500)}`,
    }));
    const fitted = fitFinding(finding(1, { evidence }));
    const bytes = Buffer.byteLength(JSON.stringify(fitted));
    expect(bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(bytes).toBeGreaterThan(MAX_REQUEST_BYTES - 1000);
    expect(fitted.evidence[0]?.excerpt.startsWith('0-')).toBe(true);
    expect(fitted.evidence[0]?.excerpt.length).toBeLessThanOrEqual(201);
    const last = fitted.evidence.at(-1);
    expect(last?.kind).toBe('OMITTED');
    expect(last?.excerpt).toBe(
      `${3000 - (fitted.evidence.length - 1)} more evidence item(s) omitted (size limit)`,
    );
  });
});
