import { clearCaches } from '@aws-lambda-powertools/parameters';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DescribeSessionsCommand, SSMClient, TerminateSessionCommand } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoSuppressionStore } from '#shared/aws/state';
import type { Finding } from '#shared/model/finding';
import { ACTION_IDS, type ActionKind, buttonValue } from '#shared/slack/button';
import { signSlackRequest } from '#shared/slack/verify';
import { suppressionKeyOf } from '#shared/suppress/key';
import { localContext } from '#tools/local-context';
import { reverseShellFinding } from '../format/findings';
import { useDynalite } from '../helpers/dynalite';
import { useLambdaEnv } from '../helpers/lambda-env';
import { leaks, metricSum, PLANTED } from './hostile';

const SIGNING_SECRET = 'XXsigningSecretValue0123456789XX';
const ALLOWED = 'U024BE7LH';
const OTHER = 'U0OTHER99';
const SESSION = 'mallory-g7ob4wkz5r5f6ky4ng257scvtx';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T0/123/respTOKEN';

const ssm = mockClient(SSMClient);
const eb = mockClient(EventBridgeClient);
const secrets = mockClient(SecretsManagerClient);
const db = useDynalite('slack-actions-test');
const output = useLambdaEnv('us-east-1', {
  BUS_NAME: 'ssm-sentinel-findings',
  SLACK_SIGNING_SECRET: 'ssm-sentinel/slack-signing',
});
let posts: Array<{ url: string; body: Record<string, unknown> }>;
let signatures: string[];

beforeEach(() => {
  ssm.reset();
  eb.reset();
  secrets.reset();
  clearCaches();
  ssm.on(DescribeSessionsCommand).resolves({ Sessions: [] });
  ssm.on(TerminateSessionCommand).resolves({});
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SIGNING_SECRET });
  posts = [];
  signatures = [];
  // response_url is always hooks.slack.com: the reply's fetch is answered here, never sent.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (url, init) => {
    posts.push({ url: String(url), body: JSON.parse(String(init?.body)) as Record<string, unknown> });
    return new Response('ok', { status: 200 });
  });
});

afterEach(() => {
  const text = output.text();
  // Never logged: the signing secret, a signature, the body, the user id, the response URL's token.
  for (const value of [
    SIGNING_SECRET,
    ...signatures,
    ...signatures.map((s) => s.slice(3)),
    ALLOWED,
    OTHER,
    'respTOKEN',
    'payload=',
  ]) {
    expect(text).not.toContain(value);
  }
  expect(leaks(text)).toEqual([]);
});

async function loadHandler(config: Record<string, unknown> = {}) {
  await db.freshTable('slack-actions');
  vi.stubEnv(
    'SENTINEL_CONFIG',
    JSON.stringify({
      autoTerminate: { dryRun: false },
      alerts: {
        slackActions: { signingSecretName: 'ssm-sentinel/slack-signing', terminateUserIds: [ALLOWED] },
      },
      ...config,
    }),
  );
  vi.resetModules();
  const { handler } = await import('#functions/slack-actions/handler');
  return async (event: unknown) =>
    (await handler(
      event as APIGatewayProxyEventV2,
      localContext('slack-actions'),
    )) as APIGatewayProxyStructuredResultV2;
}

const mallory = (extra: Partial<Finding> = {}) =>
  reverseShellFinding({
    id: 'f-mallory',
    region: 'us-east-1',
    sessionId: SESSION,
    principal: {
      arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
      type: 'AssumedRole',
    },
    ...extra,
  });

function form(action: ActionKind, opts: { user?: string; finding?: Finding } = {}): string {
  const payload = {
    type: 'block_actions',
    user: { id: opts.user ?? ALLOWED },
    response_url: RESPONSE_URL,
    container: { type: 'message', message_ts: '1767225600.000100', channel_id: 'C0123ABC' },
    actions: [{ action_id: ACTION_IDS[action], value: buttonValue(opts.finding ?? mallory()) }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A function URL event for `body`, signed now (or `ageS` ago) with `secret`. */
function request(
  body: string,
  opts: { ageS?: number; secret?: string; base64?: boolean; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const timestamp = String(Math.floor(Date.now() / 1000) - (opts.ageS ?? 0));
  const signature = signSlackRequest(opts.secret ?? SIGNING_SECRET, timestamp, body);
  signatures.push(signature);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
      ...opts.headers,
    },
    body: opts.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: opts.base64 ?? false,
    requestContext: {
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'Slackbot' },
    },
  } as unknown as APIGatewayProxyEventV2;
}

const terminations = () => ssm.commandCalls(TerminateSessionCommand).length;
const published = () =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.Detail ?? '{}') as Finding);
const suppressedUntil = async (finding: Finding) =>
  new DynamoSuppressionStore({ client: db.client, tableName: process.env.TABLE_NAME ?? '' }).until(
    suppressionKeyOf(finding),
    Date.now(),
  );

/** Nothing happened: no Session Manager call, no bus event, no reply, no suppression. */
async function expectNothingChanged() {
  expect(ssm.calls()).toHaveLength(0);
  expect(eb.calls()).toHaveLength(0);
  expect(posts).toEqual([]);
  expect(await suppressedUntil(mallory())).toBeUndefined();
}

const UNAUTHORIZED = { statusCode: 401, body: '{"error":"unauthorized"}' };

describe('slack-actions handler', () => {
  it('a valid Terminate acts once: TerminateSession, one bus event, one reply in the thread', async () => {
    const run = await loadHandler();
    const event = request(form('terminate'));
    expect(await run(event)).toMatchObject({ statusCode: 200, body: '' });
    expect(ssm.commandCalls(TerminateSessionCommand).map((c) => c.args[0].input)).toEqual([
      { SessionId: SESSION },
    ]);
    expect(published()).toEqual([
      expect.objectContaining({
        category: 'session-terminated',
        source: 'responder',
        sessionId: SESSION,
        reasons: expect.arrayContaining([`terminated from Slack by ${ALLOWED}`]),
      }),
    ]);
    expect(posts).toEqual([
      {
        url: RESPONSE_URL,
        body: {
          text: expect.stringContaining(`terminated, requested by <@${ALLOWED}>`),
          response_type: 'in_channel',
          replace_original: false,
          thread_ts: '1767225600.000100',
        },
      },
    ]);
    expect(metricSum(output.text(), 'Terminations')).toBe(1);
    expect(metricSum(output.text(), 'Processed')).toBe(1);

    // The same request again (same signature): a replay, refused before anything is read.
    ssm.resetHistory();
    eb.resetHistory();
    posts.length = 0;
    expect(await run(event)).toMatchObject(UNAUTHORIZED);
    await expectNothingChanged();
  });

  it('accepts the body base64-encoded, as a function URL may pass it', async () => {
    const run = await loadHandler();
    expect(await run(request(form('acknowledge'), { base64: true }))).toMatchObject({ statusCode: 200 });
    expect(posts.map((p) => p.body.text)).toEqual([`:white_check_mark: Acknowledged by <@${ALLOWED}>.`]);
  });

  it.each([
    ['a wrong signature', () => request(form('terminate'), { secret: 'not-the-signing-secret' })],
    ['a timestamp 6 minutes old', () => request(form('terminate'), { ageS: 360 })],
    ['no signature', () => request(form('terminate'), { headers: { 'x-slack-signature': '' } })],
    ['a Suppress with a wrong signature', () => request(form('suppress'), { secret: 'nope' })],
  ])('refuses %s with 401 and changes nothing', async (_name, event) => {
    const run = await loadHandler();
    expect(await run(event())).toMatchObject(UNAUTHORIZED);
    await expectNothingChanged();
    expect(output.text()).toContain('slack request refused');
  });

  it('refuses a user not on the list: no Session Manager call, no bus event, told privately', async () => {
    const run = await loadHandler();
    expect(await run(request(form('terminate', { user: OTHER })))).toMatchObject({ statusCode: 200 });
    expect(ssm.calls()).toHaveLength(0);
    expect(eb.calls()).toHaveLength(0);
    expect(posts.map((p) => p.body.response_type)).toEqual(['ephemeral']);
    expect(output.text()).toContain('"outcome":"not-allowed"');
  });

  it('refuses Terminate on an exempt principal with a message in the thread', async () => {
    const run = await loadHandler();
    const breakGlass = mallory({
      principal: {
        arn: 'arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/oncall',
        type: 'AssumedRole',
      },
    });
    expect(await run(request(form('terminate', { finding: breakGlass })))).toMatchObject({ statusCode: 200 });
    expect(terminations()).toBe(0);
    expect(eb.calls()).toHaveLength(0);
    expect(posts).toEqual([
      {
        url: RESPONSE_URL,
        body: expect.objectContaining({
          text: expect.stringContaining('not terminated: its principal is exempt'),
          thread_ts: '1767225600.000100',
        }),
      },
    ]);
  });

  it('dry-run: no TerminateSession, a dry-run finding on the bus', async () => {
    const run = await loadHandler({ autoTerminate: { dryRun: true } });
    expect(await run(request(form('terminate')))).toMatchObject({ statusCode: 200 });
    expect(terminations()).toBe(0);
    expect(published().map((f) => f.title)).toEqual([
      'Session would have been terminated from Slack (dry run)',
    ]);
    expect(metricSum(output.text(), 'TerminationsDryRun')).toBe(1);
  });

  it('stops at the hourly cap', async () => {
    const run = await loadHandler({ autoTerminate: { dryRun: false, maxPerHour: 1 } });
    await run(request(form('terminate')));
    await run(request(form('terminate', { finding: mallory({ sessionId: 'mallory-second0000000000000' }) })));
    expect(terminations()).toBe(1);
    expect(String(posts[1]?.body.text)).toContain('hourly cap');
  });

  it('Suppress similar writes the suppression for suppressHours', async () => {
    const run = await loadHandler();
    const before = Date.now();
    expect(await run(request(form('suppress', { user: OTHER })))).toMatchObject({ statusCode: 200 });
    const until = await suppressedUntil(mallory());
    expect(until).toBeGreaterThanOrEqual(before + 24 * 3_600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000);
    expect(ssm.calls()).toHaveLength(0);
  });

  it('answers hostile payloads with 400 or 413, quoting nothing and changing nothing', async () => {
    const run = await loadHandler();
    const planted = PLANTED.awsKey;
    const bodies = [
      `payload=${planted}{`,
      `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 7 }, note: planted }))}`,
      `payload=${encodeURIComponent(JSON.stringify({ type: planted }))}`,
      'no-payload-here',
    ];
    for (const body of bodies) {
      const res = await run(request(body));
      expect(res).toMatchObject({ statusCode: 400, body: '{"error":"bad request"}' });
    }
    const huge = await run(request(`payload=${'x'.repeat(70 * 1024)}`));
    expect(huge).toMatchObject({ statusCode: 413 });
    const get = request(form('terminate'));
    (get.requestContext.http as { method: string }).method = 'GET';
    expect(await run(get)).toMatchObject({ statusCode: 405 });
    await expectNothingChanged();
    expect(output.text()).not.toContain(planted);
  });

  it('refuses a response_url other than hooks.slack.com/actions (nothing posted elsewhere)', async () => {
    const run = await loadHandler();
    const body = form('terminate').replace(
      encodeURIComponent('https://hooks.slack.com/actions/'),
      encodeURIComponent('https://169.254.169.254/actions/'),
    );
    expect(await run(request(body))).toMatchObject({ statusCode: 400 });
    await expectNothingChanged();
  });

  it('answers 500, quoting nothing and changing nothing, when the signing secret cannot be read', async () => {
    const run = await loadHandler();
    secrets.on(GetSecretValueCommand).rejects(new Error(`AccessDenied for ${PLANTED.awsKey}`));
    expect(await run(request(form('terminate')))).toMatchObject({
      statusCode: 500,
      body: '{"error":"internal error"}',
    });
    await expectNothingChanged();
    expect(metricSum(output.text(), 'Failed')).toBe(1);
  });

  it('fails the cold start without SLACK_SIGNING_SECRET', async () => {
    vi.stubEnv('SLACK_SIGNING_SECRET', '');
    vi.resetModules();
    await expect(import('#functions/slack-actions/handler')).rejects.toThrow(
      'environment variable SLACK_SIGNING_SECRET: must be set',
    );
    vi.stubEnv('SLACK_SIGNING_SECRET', 'ssm-sentinel/slack-signing');
  });
});
