import { clearCaches } from '@aws-lambda-powertools/parameters';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CredentialError, parseCredentialRef, webhookUrlFrom } from '#shared/aws/params';
import { renderSlack, renderSlackDigest } from '#shared/format/slack';
import type { Digest } from '#shared/model/digest';
import type { Finding } from '#shared/model/finding';
import { ruleById } from '#shared/rules/index';
import { localContext } from '#tools/local-context';
import { MASKED, makeDigest, makeFinding, RAW } from '../format/findings';
import { useLambdaEnv } from '../helpers/lambda-env';
import { hang, status, useWebhookServer } from '../helpers/webhook-server';
import {
  ALL_PLANTED,
  crashTrace,
  expectSafeError,
  leaks,
  malformedShapes,
  metricSum,
  PLANTED,
  stringPaths,
  thrownBy,
  withStringAt,
} from './hostile';

const TOKEN = 'XXsecretWebhookTokenXX';
const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const output = useLambdaEnv('eu-west-1');
const { replies, bodies, url } = useWebhookServer();
let webhook: string;

beforeAll(() => {
  webhook = url(`/services/T0/B0/${TOKEN}`);
});

beforeEach(() => {
  secrets.reset();
  ssm.reset();
  clearCaches();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: webhook });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: webhook } });
});

afterEach(() => {
  // The webhook URL is a credential; raw and masked finding values are personal data.
  for (const value of [TOKEN, ...Object.values(RAW), ...Object.values(MASKED), 'assumed-role/Admin/alice']) {
    expect(output.text()).not.toContain(value);
  }
  // What reaches Slack is the masked evidence only.
  for (const value of Object.values(RAW)) expect(bodies.join('\n')).not.toContain(value);
});

async function load(ref: string) {
  vi.stubEnv('SLACK_WEBHOOK_SECRET', ref);
  vi.resetModules();
  const { handler } = await import('#functions/slack/handler');
  return (event: unknown, context: Context = localContext('slack')) => handler(event, context);
}

type Attributes = SNSEvent['Records'][number]['Sns']['MessageAttributes'];

function snsEvent(message: string, attributes: Attributes = {}): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:eu-west-1:123456789012:ssm-sentinel-alerts:0b1c',
        Sns: {
          Type: 'Notification',
          MessageId: 'a1b2c3',
          TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ssm-sentinel-alerts',
          Subject: '[HIGH] x',
          Message: message,
          Timestamp: '2026-03-02T14:05:11Z',
          SignatureVersion: '1',
          Signature: 'sig',
          SigningCertUrl: 'https://sns.eu-west-1.amazonaws.com/cert.pem',
          UnsubscribeUrl: 'https://sns.eu-west-1.amazonaws.com/unsub',
          MessageAttributes: attributes,
        },
      },
    ],
  };
}

const finding: Finding = makeFinding({ ruleId: 'secret-aws-access-key' });
const alert = snsEvent(JSON.stringify(finding));

describe('slack handler', () => {
  it('posts the Block Kit message, reading the webhook from Secrets Manager once (cached)', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    await run(alert);
    await run(alert);
    expect(bodies).toHaveLength(2);
    expect(JSON.parse(bodies[0]!)).toEqual(renderSlack(finding, ruleById('secret-aws-access-key')));
    expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, {
      SecretId: 'ssm-sentinel/slack-webhook',
    });
    expect(ssm).not.toHaveReceivedCommand(GetParameterCommand);
    expect(output.text()).toContain('"message":"alert posted to slack"');
    expect(output.text()).toContain('"AlertsPublished"');
  });

  it('reads an SSM SecureString with decryption for an ssm: reference', async () => {
    const run = await load('ssm:/ssm-sentinel/slack-webhook');
    await run(alert);
    expect(ssm).toHaveReceivedCommandExactlyOnceWith(GetParameterCommand, {
      Name: '/ssm-sentinel/slack-webhook',
      WithDecryption: true,
    });
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand);
    expect(bodies).toHaveLength(1);
  });

  it('retries a 5xx and delivers', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    replies.push(status(500), status(502));
    await run(alert);
    expect(bodies).toHaveLength(3);
    expect(output.text()).toContain('"attempts":3');
  });

  it('reports a 4xx once and does not throw (no retry loop)', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    replies.push(status(400, 'invalid_blocks'));
    await expect(run(alert)).resolves.toBeUndefined();
    expect(bodies).toHaveLength(1);
    expect(output.text()).toContain('"message":"slack refused alert"');
    expect(output.text()).toContain('"status":400,"error":"invalid_blocks"');
    expect(output.text()).toContain('"Failed"');
  });

  it('re-reads a possibly rotated webhook once when Slack says it is gone', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    replies.push(status(410, 'channel_is_archived'), status(410, 'channel_is_archived'));
    await run(alert);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
    expect(bodies).toHaveLength(2);
    expect(output.text()).toContain('"status":410');
  });

  it('throws when timeouts outlast the time left, so the platform retries', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    replies.push(hang, hang);
    const deadline = Date.now() + 1600;
    const context = { ...localContext('slack'), getRemainingTimeInMillis: () => deadline - Date.now() };
    await expect(run(alert, context)).rejects.toThrow(
      /webhook delivery failed after 1 attempt\(s\): timeout/,
    );
    expect(output.text()).toContain('"message":"slack delivery failed"');
    expect(output.text()).toContain('"Failed"');
  });

  it('reports a record that is not a Finding without posting, and fails it for the dead-letter queue', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    await expect(run(snsEvent('HIGH: plain e-mail text'))).rejects.toMatchObject({
      name: 'MalformedEvent',
      message: '1 of 1 SNS record(s) malformed',
    });
    await expect(run(snsEvent(JSON.stringify({ ...finding, severity: 'SEVERE' })))).rejects.toThrow(
      /malformed/,
    );
    expect(bodies).toEqual([]);
    expect(output.text()).toContain('"problem":"SNS message is not JSON');
    expect(output.text()).toContain('"problem":"SNS message is not a Finding: severity:');
    expect(metricSum(output.text(), 'Failed')).toBe(2);
  });

  it('fails the invocation, without the value, when the credential is not a usable URL', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `ftp://hooks.example/${TOKEN}` });
    // The handler's module graph is loaded afresh, so compare by name rather than class identity.
    await expect(run(alert)).rejects.toMatchObject({
      name: 'CredentialError',
      message: 'webhook URL must use https',
    });
    expect(bodies).toEqual([]);
    expect(output.text()).toContain('"message":"slack delivery failed"');
    expect(output.text()).toContain('"error":"webhook URL must use https"');
    expect(metricSum(output.text(), 'Failed')).toBe(1);
  });
});

/** Lambda's shape of an SNS string attribute. */
function attr(value: string): Attributes[string] {
  return { Type: 'String', Value: value };
}

/** The EMF lines that carry `metric`, as objects (dimensions are members). */
function metricLines(text: string, metric: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((m) => metric in m);
}

describe('slack handler with incidents', () => {
  const digest: Digest = makeDigest();
  const digestAlert = snsEvent(JSON.stringify(digest), {
    severity: attr('HIGH'),
    category: attr('secret'),
    alert: attr('digest'),
  });

  it('posts a digest record as a digest, logging its id and counting it by severity and kind', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    await run(digestAlert);
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0]!)).toEqual(renderSlackDigest(digest));
    const posted = output
      .text()
      .split('\n')
      .find((l) => l.includes('"message":"alert posted to slack"'));
    expect(JSON.parse(posted!)).toMatchObject({
      digestId: 'd-alice-0a1b2c3d4e5f67890-1',
      alertKind: 'digest',
      attempts: 1,
    });
    expect(posted).not.toContain('findingId');
    const published = metricLines(output.text(), 'AlertsPublished');
    expect(published).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Severity: 'HIGH', AlertsPublished: 1 }),
        expect.objectContaining({ AlertKind: 'digest', AlertsPublished: 1 }),
      ]),
    );
    expect(metricSum(output.text(), 'Processed')).toBe(1);
  });

  it('posts an opened finding with the incident line its attributes describe', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const digestAt = '2026-03-02T14:20:09.000Z';
    await run(snsEvent(JSON.stringify(finding), { alert: attr('opened'), digestAt: attr(digestAt) }));
    expect(bodies).toHaveLength(1);
    const body = JSON.parse(bodies[0]!);
    expect(body).toEqual(
      renderSlack(finding, ruleById('secret-aws-access-key'), { kind: 'opened', digestAt }),
    );
    expect(bodies[0]).toContain('Its further findings until 14:20 UTC come in one digest.');
    expect(output.text()).toContain('"alertKind":"opened"');
    expect(metricLines(output.text(), 'AlertsPublished')).toEqual(
      expect.arrayContaining([expect.objectContaining({ AlertKind: 'opened', AlertsPublished: 1 })]),
    );
  });

  it('marks an escalated finding in the message', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const critical = { ...finding, severity: 'CRITICAL' as const };
    await run(snsEvent(JSON.stringify(critical), { alert: attr('escalated') }));
    const body = JSON.parse(bodies[0]!) as { text: string };
    expect(body.text.startsWith('[CRITICAL] Escalated: ')).toBe(true);
    expect(output.text()).toContain('"alertKind":"escalated"');
  });

  it('ignores a bad alert attribute or digestAt and posts the finding as it is', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const rule = ruleById('secret-aws-access-key');
    await run(snsEvent(JSON.stringify(finding), { alert: attr('<!channel>'), digestAt: attr('soon') }));
    await run(snsEvent(JSON.stringify(finding), { alert: attr('opened'), digestAt: attr('soon') }));
    await run(
      snsEvent(JSON.stringify(finding), {
        alert: { Type: 'Number', Value: 7 } as unknown as Attributes[string],
      }),
    );
    expect(bodies.map((b) => JSON.parse(b))).toEqual([
      renderSlack(finding, rule),
      renderSlack(finding, rule, { kind: 'opened' }),
      renderSlack(finding, rule),
    ]);
    expect(bodies[1]).toContain('in this incident window come in one digest.');
    expect(output.text()).not.toContain('channel');
    expect(output.text()).not.toContain('soon');
    expect(metricSum(output.text(), 'Failed')).toBe(0);
  });

  it('reports a malformed digest, naming the field and no value, without posting', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const bad = { ...digest, total: 'many', incident: { ...digest.incident, scope: PLANTED.email } };
    await expect(run(snsEvent(JSON.stringify(bad)))).rejects.toMatchObject({ name: 'MalformedEvent' });
    await expect(run(snsEvent(JSON.stringify({ kind: 'digest' })))).rejects.toThrow(/malformed/);
    expect(bodies).toEqual([]);
    const problems = output
      .text()
      .split('\n')
      .filter((l) => l.includes('"message":"malformed alert record"'))
      .map((l) => (JSON.parse(l) as { problem: string }).problem);
    expect(problems).toHaveLength(2);
    for (const problem of problems) expect(problem.startsWith('SNS message is not a Digest: ')).toBe(true);
    expect(problems[0]).toMatch(/incident\.scope|total/);
    expect(problems.join('\n')).not.toContain('many');
    expect(leaks(output.text())).toEqual([]);
    expect(metricSum(output.text(), 'Failed')).toBe(2);
  });

  it('posts a digest with a value planted in any field without carrying the value on', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const record = structuredClone(digestAlert.Records[0]) as unknown as { Sns: { Message: unknown } };
    record.Sns.Message = structuredClone(digest);
    const paths = stringPaths(record);
    const plants = Object.values(PLANTED);
    const errors: unknown[] = [];
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const f of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED]) {
        const planted = withStringAt(record, path, f);
        planted.Sns.Message = JSON.stringify(planted.Sns.Message);
        const error = await thrownBy(() => run({ Records: [planted] }));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        }
      }
    }
    expect(bodies.length).toBeGreaterThan(paths.length);
    const all = [output.text(), bodies.join('\n'), ...errors.map(String)].join('\n');
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  }, 30_000);
});

describe('slack handler on hostile input', () => {
  const sent = () => bodies.join('\n');

  it('rejects every malformed event with a safe one-line error, a log line and a Failed metric', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const errors: unknown[] = [];
    const shapes: Array<[string, unknown]> = [
      ...malformedShapes(),
      ['Records: []', { Records: [] }],
      ['a record without Sns', { Records: [{ EventSource: 'aws:sns' }] }],
      ['Message not a string', { Records: [{ Sns: { MessageId: PLANTED.ssn, Message: { a: 1 } } }] }],
    ];
    for (const [name, event] of shapes) {
      const error = await thrownBy(() => run(event));
      expect(error, name).toBeDefined();
      expectSafeError(error);
      expect((error as Error).name, name).toBe('MalformedEvent');
      errors.push(error);
    }
    const logged = output
      .text()
      .split('\n')
      .filter((l) => /"message":"malformed (SNS event|alert record)"/.test(l));
    expect(logged.length).toBeGreaterThanOrEqual(shapes.length);
    expect(metricSum(output.text(), 'Failed')).toBe(logged.length);
    expect(bodies).toEqual([]);
    const all = [output.text(), ...errors.map(String)].join('\n');
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  });

  it('posts the good records of a batch with bad ones, and reports each bad one', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const good = alert.Records[0];
    const event = {
      Records: [
        null,
        good,
        { Sns: { Message: ALL_PLANTED } },
        { ...good, Sns: { ...good?.Sns, MessageId: PLANTED.card } },
      ],
    };
    // Posted records are not failed again: a retry would post them twice.
    await expect(run(event)).resolves.toBeUndefined();
    expect(bodies).toHaveLength(2);
    const bad = output
      .text()
      .split('\n')
      .filter((l) => l.includes('"message":"malformed alert record"'))
      .map((l) => JSON.parse(l) as { index: number });
    expect(bad.map((l) => l.index)).toEqual([0, 2]);
    expect(output.text()).toContain('"messageId":"invalid"');
    expect(metricSum(output.text(), 'Failed')).toBe(2);
    expect(metricSum(output.text(), 'Processed')).toBe(2);
    expect(leaks(output.text())).toEqual([]);
  });

  it('posts an alert with a value planted in any field without carrying the value on', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    const record = structuredClone(alert.Records[0]) as unknown as { Sns: { Message: unknown } };
    record.Sns.Message = makeFinding({ ruleId: 'secret-aws-access-key' });
    const paths = stringPaths(record);
    const plants = Object.values(PLANTED);
    const errors: unknown[] = [];
    for (const [i, path] of paths.entries()) {
      const plant = plants[i % plants.length] as string;
      for (const f of [(old: string) => `${old} ${plant}`, () => ALL_PLANTED]) {
        const planted = withStringAt(record, path, f);
        planted.Sns.Message = JSON.stringify(planted.Sns.Message);
        const error = await thrownBy(() => run({ Records: [planted] }));
        if (error) {
          expectSafeError(error);
          errors.push(error);
        }
      }
    }
    expect(bodies.length).toBeGreaterThan(paths.length);
    const all = [output.text(), sent(), ...errors.map(String)].join('\n');
    expect(leaks(all)).toEqual([]);
    expect(crashTrace(all)).toBeUndefined();
  }, 30_000);
});

describe('credential references', () => {
  it.each([
    ['ssm:/a/b', { store: 'ssm', name: '/a/b' }],
    ['ssm:name', { store: 'ssm', name: 'name' }],
    ['/ssm-sentinel/slack', { store: 'ssm', name: '/ssm-sentinel/slack' }],
    [
      'arn:aws:ssm:eu-west-1:123456789012:parameter/x',
      { store: 'ssm', name: 'arn:aws:ssm:eu-west-1:123456789012:parameter/x' },
    ],
    ['slack-webhook', { store: 'secretsmanager', name: 'slack-webhook' }],
    [
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf',
      { store: 'secretsmanager', name: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf' },
    ],
  ])('%s', (ref, expected) => {
    expect(parseCredentialRef(ref)).toEqual(expected);
  });

  it('takes the URL from a JSON secret and refuses non-https URLs without echoing them', () => {
    expect(webhookUrlFrom('{"url":"https://hooks.slack.com/services/T/B/x"}').href).toBe(
      'https://hooks.slack.com/services/T/B/x',
    );
    expect(webhookUrlFrom(' {"webhook_url":"https://hooks.slack.com/services/T/B/y"}\n').pathname).toBe(
      '/services/T/B/y',
    );
    for (const bad of [
      `http://hooks.slack.com/services/${TOKEN}`,
      `not a url ${TOKEN}`,
      `{"token":"${TOKEN}"}`,
    ]) {
      expect(() => webhookUrlFrom(bad)).toThrow(CredentialError);
      try {
        webhookUrlFrom(bad);
      } catch (e) {
        expect(String(e)).not.toContain(TOKEN);
      }
    }
  });
});

describe('slack handler with alerts.slackActions', () => {
  afterEach(() => {
    vi.stubEnv('SENTINEL_CONFIG', '');
  });

  it('puts the buttons on finding alerts once the action endpoint is configured, never on digests', async () => {
    vi.stubEnv(
      'SENTINEL_CONFIG',
      JSON.stringify({
        alerts: { slackActions: { signingSecretName: 'ssm-sentinel/slack-signing', suppressHours: 8 } },
      }),
    );
    const run = await load('ssm-sentinel/slack-webhook');
    await run(alert);
    await run(snsEvent(JSON.stringify(makeDigest())));
    const [posted, digest] = bodies.map((b) => JSON.parse(b) as { blocks: Array<{ type: string }> });
    expect(posted).toEqual(
      renderSlack(finding, ruleById('secret-aws-access-key'), undefined, { actions: { suppressHours: 8 } }),
    );
    expect(posted?.blocks.at(-1)?.type).toBe('actions');
    expect(digest?.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('has no buttons without a signing secret (no endpoint to answer them)', async () => {
    const run = await load('ssm-sentinel/slack-webhook');
    await run(alert);
    expect(JSON.parse(bodies[0] ?? '{}').blocks.some((b: { type: string }) => b.type === 'actions')).toBe(
      false,
    );
  });
});
