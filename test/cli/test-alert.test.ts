import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runTestAlert, sampleFinding, TEST_ALERT_RULE_ID } from '#cli/test-alert';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import { FindingSchema } from '#shared/model/finding';

const eb = mockClient(EventBridgeClient);
const events = new EventBridgeClient({ region: 'eu-west-1' });
const now = () => new Date('2026-03-02T14:05:09.000Z');

beforeEach(() => eb.reset());

describe('runTestAlert', () => {
  it('puts one valid sample finding on the default findings bus', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const out = await runTestAlert({ now, account: '123456789012', region: 'eu-west-1' }, { events });
    expect(out.busName).toBe('ssm-sentinel-findings');
    const [call] = eb.commandCalls(PutEventsCommand);
    const [entry] = call!.args[0].input.Entries!;
    expect(entry).toMatchObject({
      EventBusName: 'ssm-sentinel-findings',
      Source: FINDING_SOURCE,
      DetailType: FINDING_DETAIL_TYPE,
    });
    const detail = FindingSchema.parse(JSON.parse(entry!.Detail!));
    expect(detail).toEqual(out.finding);
    expect(detail).toMatchObject({
      ruleId: TEST_ALERT_RULE_ID,
      severity: 'HIGH',
      time: '2026-03-02T14:05:09.000Z',
    });
    // No session: the responder's rule requires one, so a test alert can never terminate anything.
    expect(detail.sessionId).toBeUndefined();
  });

  it('uses --bus, or the configured prefix, and the requested severity', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    expect((await runTestAlert({ bus: 'custom-bus', now }, { events })).busName).toBe('custom-bus');
    const out = await runTestAlert({ prefix: 'acme', severity: 'CRITICAL', now }, { events });
    expect(out.busName).toBe('acme-findings');
    expect(out.finding.severity).toBe('CRITICAL');
  });

  it('gives every run its own id, so the notifier does not aggregate it away', () => {
    const a = sampleFinding({}, new Date('2026-03-02T14:05:09Z'));
    const b = sampleFinding({}, new Date('2026-03-02T14:06:09Z'));
    expect(a.id).not.toBe(b.id);
    expect(sampleFinding({}, new Date('2026-03-02T14:05:09Z')).id).toBe(a.id);
  });

  it('fails loudly when the bus does not accept the event', async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'NotFound', ErrorMessage: 'no bus' }],
    });
    await expect(runTestAlert({ now }, { events })).rejects.toThrow(/not accepted.*NotFound/);
    eb.on(PutEventsCommand).rejects(
      Object.assign(new Error('Event bus ssm-sentinel-findings does not exist.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    await expect(runTestAlert({ now }, { events })).rejects.toThrow(/does not exist/);
  });
});
