import { describe, expect, it } from 'vitest';
import { MemorySessionStore, MemorySuppressionStore, MemoryTerminationGuard } from '#cli/state';
import { parseConfig } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import type { SessionControl, SessionStatus } from '#shared/respond/types';
import {
  type ActionDeps,
  decideAction,
  handleInteraction,
  type Interaction,
  parseInteraction,
  type SlackReply,
  slackResponseUrl,
} from '#shared/slack/actions';
import { ACTION_IDS, type ActionKind, buttonValue } from '#shared/slack/button';
import { suppressionKeyOf } from '#shared/suppress/key';
import { reverseShellFinding } from '../format/findings';

const NOW = new Date('2026-03-01T12:34:56Z');
const RESPONSE_URL = 'https://hooks.slack.com/actions/T0/123/abcDEF';
const ALLOWED = 'U024BE7LH';
const OTHER = 'U0OTHER99';

const alert = () =>
  reverseShellFinding({
    principal: {
      arn: 'arn:aws:sts::111122223333:assumed-role/ContractorAccess/mallory',
      type: 'AssumedRole',
    },
  });

function payload(action: ActionKind, finding: Finding = alert(), overrides: Record<string, unknown> = {}) {
  return {
    type: 'block_actions',
    user: { id: ALLOWED, username: 'someone', team_id: 'T0' },
    api_app_id: 'A0',
    response_url: RESPONSE_URL,
    container: { type: 'message', message_ts: '1767225600.000100', channel_id: 'C0123ABC' },
    channel: { id: 'C0123ABC', name: 'alerts' },
    message: { ts: '1767225600.000100', text: 'x' },
    actions: [
      { action_id: ACTION_IDS[action], block_id: 'ssm-sentinel-actions', value: buttonValue(finding) },
    ],
    ...overrides,
  };
}

const form = (p: unknown) => `payload=${encodeURIComponent(JSON.stringify(p))}`;

function parsed(p: unknown): Interaction {
  const r = parseInteraction(form(p));
  if (!r.ok) throw new Error(r.error);
  return r.interaction;
}

class FakeControl implements SessionControl {
  terminated: string[] = [];
  constructor(
    private readonly state: SessionStatus = 'active',
    private readonly fail = false,
  ) {}
  async status() {
    return this.state;
  }
  async terminate(id: string) {
    if (this.fail) throw new Error('ThrottlingException');
    this.terminated.push(id);
  }
}

function setup(autoTerminate: Record<string, unknown> = {}, control = new FakeControl()) {
  const published: Finding[] = [];
  const replies: SlackReply[] = [];
  const suppressions = new MemorySuppressionStore();
  const deps: ActionDeps = {
    config: parseConfig({
      // Auto-termination stays off: a human decides; the other guardrails still apply.
      autoTerminate: { enabled: false, dryRun: false, minSeverity: 'CRITICAL', ...autoTerminate },
      alerts: {
        slackActions: { signingSecretName: 'slack/signing', terminateUserIds: [ALLOWED], suppressHours: 24 },
      },
    }),
    guard: new MemoryTerminationGuard(),
    sessions: new MemorySessionStore(),
    control: () => control,
    suppressions,
    publish: async (f) => {
      published.push(...f);
    },
    reply: async (url, message) => {
      expect(url.href).toBe(RESPONSE_URL);
      replies.push(message);
    },
    now: () => NOW,
  };
  return { deps, control, published, replies, suppressions };
}

describe('parseInteraction', () => {
  it('reads a block_actions payload and the finding facts of the button', () => {
    const i = parsed(payload('terminate'));
    expect(i).toMatchObject({
      userId: ALLOWED,
      action: 'terminate',
      threadTs: '1767225600.000100',
      facts: { f: alert().id, r: 'cmd-reverse-shell', s: 'alice-0123456789abcdef0', g: 'eu-west-1' },
    });
    expect(i.responseUrl.href).toBe(RESPONSE_URL);
    // A button in a thread reply answers in that thread.
    const inThread = parsed(payload('acknowledge', alert(), { message: { ts: '2.2', thread_ts: '1.1' } }));
    expect(inThread.threadTs).toBe('1.1');
  });

  it('refuses hostile payloads with a message that quotes nothing', () => {
    const planted = 'AKIAIOSFODNN7EXAMPLE';
    const bodies = [
      '',
      'payload=',
      `payload=${planted}{`,
      form({ ...payload('terminate'), type: `view_submission${planted}` }),
      form({ ...payload('terminate'), user: { id: planted } }),
      form({ ...payload('terminate'), user: { id: 42 } }),
      form({ ...payload('terminate'), actions: [] }),
      form({ ...payload('terminate'), actions: [{ action_id: planted, value: '{}' }] }),
      form({ ...payload('terminate'), actions: [{ action_id: ACTION_IDS.terminate, value: planted }] }),
      form({
        ...payload('terminate'),
        actions: [{ action_id: ACTION_IDS.terminate, value: `{"f":"${planted}"}` }],
      }),
      form({ ...payload('terminate'), container: { message_ts: planted } }),
      form({ ...payload('terminate'), response_url: `https://evil.example/${planted}` }),
      `payload=${'x'.repeat(70_000)}`,
      form([1, 2, 3]),
      form(null),
    ];
    for (const body of bodies) {
      const r = parseInteraction(body);
      expect(r.ok, body.slice(0, 80)).toBe(false);
      if (!r.ok) {
        expect(r.error).not.toContain(planted);
        expect(r.error.length).toBeLessThan(250);
      }
    }
  });
});

describe('slackResponseUrl', () => {
  it('accepts only https://hooks.slack.com/actions/…', () => {
    expect(slackResponseUrl(RESPONSE_URL)?.href).toBe(RESPONSE_URL);
    for (const url of [
      'http://hooks.slack.com/actions/T0/1/x',
      'https://hooks.slack.com.evil.example/actions/T0/1/x',
      'https://evil.example/actions/T0/1/x',
      'https://hooks.slack.com:8443/actions/T0/1/x',
      'https://user:pw@hooks.slack.com/actions/T0/1/x',
      'https://hooks.slack.com/services/T0/B0/x',
      'https://127.0.0.1/actions/x',
      'not a url',
    ]) {
      expect(slackResponseUrl(url), url).toBeUndefined();
    }
  });
});

describe('handleInteraction', () => {
  it('terminates once for an allowed user, publishes the result and replies in the thread', async () => {
    const { deps, control, published, replies } = setup();
    const first = await handleInteraction(parsed(payload('terminate')), deps);
    expect(first).toMatchObject({ outcome: 'terminated', published: true, replied: true, errors: [] });
    expect(control.terminated).toEqual(['alice-0123456789abcdef0']);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      category: 'session-terminated',
      source: 'responder',
      severity: 'HIGH',
      title: 'Session terminated from Slack',
      sessionId: 'alice-0123456789abcdef0',
      region: 'eu-west-1',
      time: NOW.toISOString(),
    });
    expect(published[0]?.reasons[0]).toBe(`terminated from Slack by ${ALLOWED}`);
    expect(replies[0]).toEqual({
      text: expect.stringContaining(`terminated, requested by <@${ALLOWED}>`),
      response_type: 'in_channel',
      replace_original: false,
      thread_ts: '1767225600.000100',
    });
    // A second press: the once-per-session claim (shared with the responder) holds.
    const second = await handleInteraction(parsed(payload('terminate')), deps);
    expect(second.outcome).toBe('already-ended');
    expect(control.terminated).toHaveLength(1);
    expect(published).toHaveLength(1);
  });

  it('refuses a user not on the list: nothing changed, told so privately', async () => {
    const { deps, control, published, replies, suppressions } = setup();
    const r = await handleInteraction(parsed(payload('terminate', alert(), { user: { id: OTHER } })), deps);
    expect(r.outcome).toBe('not-allowed');
    expect(decideAction(parsed(payload('terminate', alert(), { user: { id: OTHER } })), deps.config)).toBe(
      'not-allowed',
    );
    expect(control.terminated).toEqual([]);
    expect(published).toEqual([]);
    expect(await suppressions.until(suppressionKeyOf(alert()), NOW.getTime())).toBeUndefined();
    expect(replies).toEqual([expect.objectContaining({ response_type: 'ephemeral' })]);
  });

  it('refuses an exempt principal with a message in the thread', async () => {
    const { deps, control, published, replies } = setup();
    const breakGlass = reverseShellFinding({
      principal: {
        arn: 'arn:aws:sts::111122223333:assumed-role/BreakGlassAdmin/oncall',
        type: 'AssumedRole',
      },
    });
    const r = await handleInteraction(parsed(payload('terminate', breakGlass)), deps);
    expect(r.outcome).toBe('exempt');
    expect(control.terminated).toEqual([]);
    expect(published).toEqual([]);
    expect(replies).toEqual([
      expect.objectContaining({
        text: expect.stringContaining('not terminated: its principal is exempt'),
        response_type: 'in_channel',
        thread_ts: '1767225600.000100',
      }),
    ]);
  });

  it('checks the session record principal too: exempt there means refused', async () => {
    const { deps, control } = setup();
    await deps.sessions.put({
      sessionId: 'alice-0123456789abcdef0',
      startTime: NOW.toISOString(),
      principal: { arn: 'arn:aws:iam::111122223333:role/BreakGlassOps', type: 'Role' },
    });
    expect((await handleInteraction(parsed(payload('terminate')), deps)).outcome).toBe('exempt');
    expect(control.terminated).toEqual([]);
  });

  it('refuses without a principal', async () => {
    const { deps, control } = setup();
    const anonymous = reverseShellFinding({ principal: undefined });
    expect((await handleInteraction(parsed(payload('terminate', anonymous)), deps)).outcome).toBe(
      'unknown-principal',
    );
    expect(control.terminated).toEqual([]);
  });

  it('dry-run calls nothing and reports what it would have done', async () => {
    const { deps, control, published, replies } = setup({ dryRun: true });
    expect((await handleInteraction(parsed(payload('terminate')), deps)).outcome).toBe('dry-run');
    expect(control.terminated).toEqual([]);
    expect(published.map((f) => [f.title, f.severity, f.reasons[0]])).toEqual([
      [
        'Session would have been terminated from Slack (dry run)',
        'LOW',
        `would have been terminated from Slack by ${ALLOWED}`,
      ],
    ]);
    expect(replies[0]?.text).toContain('Dry run');
  });

  it('stops at the hourly cap', async () => {
    const { deps, control, replies } = setup({ maxPerHour: 1 });
    const other = reverseShellFinding({ sessionId: 'bob-0123456789abcdef0', principal: alert().principal });
    expect((await handleInteraction(parsed(payload('terminate')), deps)).outcome).toBe('terminated');
    expect((await handleInteraction(parsed(payload('terminate', other)), deps)).outcome).toBe('capped');
    expect(control.terminated).toEqual(['alice-0123456789abcdef0']);
    expect(replies[1]?.text).toContain('hourly cap');
  });

  it('skips a session already ended', async () => {
    const { deps, control } = setup({}, new FakeControl('ended'));
    expect((await handleInteraction(parsed(payload('terminate')), deps)).outcome).toBe('already-ended');
    expect(control.terminated).toEqual([]);
  });

  it('reports a failed TerminateSession in the thread and gives the claim back', async () => {
    const { deps, published, replies } = setup({}, new FakeControl('active', true));
    const released: string[] = [];
    deps.guard = Object.assign(new MemoryTerminationGuard(), {
      release: async (id: string) => {
        released.push(id);
      },
    });
    const r = await handleInteraction(parsed(payload('terminate')), deps);
    expect(r.outcome).toBe('failed');
    expect(r.errors).toHaveLength(1);
    expect(released).toEqual(['alice-0123456789abcdef0']);
    expect(published).toEqual([]);
    expect(replies[0]?.text).toContain('failed');
  });

  it('suppresses the rule for the principal and target for suppressHours, from anyone', async () => {
    const { deps, suppressions, replies, control } = setup();
    const r = await handleInteraction(parsed(payload('suppress', alert(), { user: { id: OTHER } })), deps);
    expect(r.outcome).toBe('suppressed');
    const until = await suppressions.until(suppressionKeyOf(alert()), NOW.getTime());
    expect(until).toBe(NOW.getTime() + 24 * 3_600_000);
    expect(replies[0]?.text).toContain('2026-03-02T12:34:56.000Z');
    expect(control.terminated).toEqual([]);
  });

  it('acknowledges with a mention of who pressed', async () => {
    const { deps, replies, published } = setup();
    expect((await handleInteraction(parsed(payload('acknowledge')), deps)).outcome).toBe('acknowledged');
    expect(replies[0]).toMatchObject({
      text: `:white_check_mark: Acknowledged by <@${ALLOWED}>.`,
      response_type: 'in_channel',
    });
    expect(published).toEqual([]);
  });

  it('still reports the outcome when the bus or the reply fails', async () => {
    const { deps, control } = setup();
    deps.publish = async () => {
      throw new Error('bus down');
    };
    deps.reply = async () => {
      throw new Error('slack down');
    };
    const r = await handleInteraction(parsed(payload('terminate')), deps);
    expect(r).toMatchObject({ outcome: 'terminated', published: false, replied: false });
    expect(r.errors).toHaveLength(2);
    expect(control.terminated).toHaveLength(1);
  });
});
