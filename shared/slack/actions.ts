import * as z from 'zod';
import { mrkdwnCode } from '../format/slack';
import type { Config } from '../model/config';
import type { Finding } from '../model/finding';
import { type ReleasableGuard, type ResponseOutcome, terminateManually } from '../respond/respond';
import type { SessionControl } from '../respond/types';
import { ruleById } from '../rules/index';
import type { SessionStore, SuppressionStore } from '../state/types';
import { suppressionKeyOf } from '../suppress/key';
import { ACTION_IDS, type ActionKind, type ButtonFacts, ButtonFactsSchema } from './button';

/**
 * Slack interactivity (alert buttons): a verified request's payload → what was pressed, by whom, on
 * which finding → terminate (through the responder's guardrails), acknowledge or suppress → a reply
 * in the alert's thread. Everything in the payload is hostile until parsed here; the signature was
 * checked before (./verify.ts).
 */

/** Largest `payload` form field looked at (a block_actions payload is a few KiB). */
export const MAX_PAYLOAD = 60_000;

const SLACK_USER = /^[UW][A-Z0-9]{2,20}$/;
const MESSAGE_TS = /^\d{1,12}\.\d{1,9}$/;
const CHANNEL = /^[CDG][A-Z0-9]{2,20}$/;

const PayloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(SLACK_USER) }),
  response_url: z.string().max(500),
  container: z.object({
    message_ts: z.string().regex(MESSAGE_TS),
    channel_id: z.string().regex(CHANNEL).optional(),
  }),
  message: z.object({ thread_ts: z.string().regex(MESSAGE_TS).optional() }).optional(),
  actions: z
    .array(z.object({ action_id: z.string().max(255), value: z.string().max(2000) }))
    .min(1)
    .max(5),
});

/** A pressed button, validated: every member is ours or matched a strict pattern. */
export interface Interaction {
  userId: string;
  action: ActionKind;
  facts: ButtonFacts;
  responseUrl: URL;
  /** The alert message's ts (or its thread's): replies go to its thread. */
  threadTs: string;
}

export type ParseResult = { ok: true; interaction: Interaction } | { ok: false; error: string };

const KIND_BY_ID = new Map<string, ActionKind>(
  Object.entries(ACTION_IDS).map(([kind, id]) => [id, kind as ActionKind]),
);

/**
 * The interaction in a form body (`payload=<JSON>`). Errors name the member that is wrong, never
 * a value.
 */
export function parseInteraction(body: string): ParseResult {
  let payload: string | null;
  try {
    payload = new URLSearchParams(body).get('payload');
  } catch {
    return { ok: false, error: 'body is not a form' };
  }
  if (!payload) return { ok: false, error: 'payload: missing' };
  if (payload.length > MAX_PAYLOAD) return { ok: false, error: 'payload: too large' };
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { ok: false, error: 'payload: not JSON' };
  }
  const parsed = PayloadSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: `payload: ${issuePaths(parsed.error)}` };
  const p = parsed.data;
  const pressed = p.actions[0];
  const action = pressed && KIND_BY_ID.get(pressed.action_id);
  if (!pressed || !action) return { ok: false, error: 'payload: actions[0].action_id is not ours' };
  let value: unknown;
  try {
    value = JSON.parse(pressed.value);
  } catch {
    return { ok: false, error: 'payload: actions[0].value is not JSON' };
  }
  const facts = ButtonFactsSchema.safeParse(value);
  if (!facts.success) return { ok: false, error: `payload: actions[0].value ${issuePaths(facts.error)}` };
  const responseUrl = slackResponseUrl(p.response_url);
  if (!responseUrl) return { ok: false, error: 'payload: response_url is not a Slack response URL' };
  return {
    ok: true,
    interaction: {
      userId: p.user.id,
      action,
      facts: facts.data,
      responseUrl,
      threadTs: p.message?.thread_ts ?? p.container.message_ts,
    },
  };
}

/** The members a schema refused, by path (schema keys and indexes only), at most three. */
function issuePaths(error: z.ZodError): string {
  const paths = error.issues.slice(0, 3).map((i) => i.path.map(String).join('.') || '(root)');
  return `invalid ${paths.join(', ')}`.slice(0, 200);
}

/**
 * A response URL we may POST to: https, host exactly hooks.slack.com (default port), path under
 * `/actions/`, no credentials. Anything else would let a payload point our function at another host.
 */
export function slackResponseUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const ok =
    url.protocol === 'https:' &&
    url.hostname === 'hooks.slack.com' &&
    url.port === '' &&
    url.username === '' &&
    url.password === '' &&
    url.pathname.startsWith('/actions/');
  return ok ? url : undefined;
}

/** A message posted to the response URL: in the alert's thread, never replacing the alert. */
export interface SlackReply {
  text: string;
  response_type: 'in_channel' | 'ephemeral';
  replace_original: false;
  thread_ts: string;
}

export interface ActionDeps {
  config: Config;
  guard: ReleasableGuard;
  sessions: SessionStore;
  /** Session Manager in the finding's Region. */
  control: (region: string | undefined) => SessionControl;
  suppressions: SuppressionStore;
  /** The findings bus. */
  publish: (findings: Finding[]) => Promise<void>;
  /** POST to the response URL; throws when it could not be delivered. */
  reply: (url: URL, message: SlackReply) => Promise<void>;
  now?: () => Date;
}

export type ActionOutcome =
  | 'acknowledged'
  | 'suppressed'
  /** Terminate pressed by someone not in alerts.slackActions.terminateUserIds. */
  | 'not-allowed'
  /** TerminateSession failed (the claim was given back). */
  | 'failed'
  | Exclude<ResponseOutcome, 'disabled' | 'below-threshold' | 'not-applicable' | 'not-terminable'>;

export interface ActionResult {
  action: ActionKind;
  outcome: ActionOutcome;
  /** The responder's finding, published on the bus (real and dry-run terminations). */
  finding?: Finding;
  published: boolean;
  replied: boolean;
  /** What went wrong publishing, replying or terminating (an error, never logged raw). */
  errors: unknown[];
}

/** Who may do what: anyone in the channel may acknowledge and suppress; terminate needs the allow-list. */
export function decideAction(interaction: Interaction, config: Config): 'allowed' | 'not-allowed' {
  if (interaction.action !== 'terminate') return 'allowed';
  return config.alerts.slackActions.terminateUserIds.includes(interaction.userId) ? 'allowed' : 'not-allowed';
}

/** Carry out a verified, parsed interaction once, and say what happened in the alert's thread. */
export async function handleInteraction(interaction: Interaction, deps: ActionDeps): Promise<ActionResult> {
  const now = (deps.now ?? (() => new Date()))();
  const { facts, userId } = interaction;
  const errors: unknown[] = [];
  let outcome: ActionOutcome;
  let finding: Finding | undefined;

  if (decideAction(interaction, deps.config) === 'not-allowed') {
    outcome = 'not-allowed';
  } else if (interaction.action === 'acknowledge') {
    outcome = 'acknowledged';
  } else if (interaction.action === 'suppress') {
    const key = suppressionKeyOf({
      ruleId: facts.r,
      target: facts.t,
      ...(facts.p ? { principal: { arn: facts.p, type: 'Unknown' } } : {}),
    });
    await deps.suppressions.put(
      key,
      now.getTime() + deps.config.alerts.slackActions.suppressHours * 3_600_000,
    );
    outcome = 'suppressed';
  } else {
    try {
      const result = await terminateManually(
        { trigger: triggerOf(facts), sessionId: facts.s, requestedBy: userId },
        {
          config: deps.config,
          guard: deps.guard,
          sessions: deps.sessions,
          control: deps.control(facts.g),
          now: () => now,
        },
      );
      outcome = result.outcome as ActionOutcome;
      finding = result.finding;
    } catch (err) {
      errors.push(err);
      outcome = 'failed';
    }
  }

  let published = false;
  if (finding) {
    try {
      await deps.publish([finding]);
      published = true;
    } catch (err) {
      errors.push(err);
    }
  }
  let replied = false;
  try {
    await deps.reply(interaction.responseUrl, replyFor(interaction, outcome, deps.config, now));
    replied = true;
  } catch (err) {
    errors.push(err);
  }
  return { action: interaction.action, outcome, ...(finding && { finding }), published, replied, errors };
}

/** The finding the alert was about, as the responder's finding names it. */
function triggerOf(facts: ButtonFacts) {
  return {
    id: facts.f,
    ruleId: facts.r,
    severity: facts.v,
    title: ruleById(facts.r)?.title ?? facts.r,
    sessionId: facts.s,
    ...(facts.p ? { principal: { arn: facts.p, type: 'Unknown' } } : {}),
    ...(facts.t ? { target: facts.t } : {}),
    ...(facts.a ? { account: facts.a } : {}),
    ...(facts.g ? { region: facts.g } : {}),
  };
}

/**
 * The thread reply: our own sentences; the user id matched SLACK_USER, so the mention is safe; the
 * session and rule ids are escaped inline code.
 */
export function replyFor(
  interaction: Interaction,
  outcome: ActionOutcome,
  config: Config,
  now: Date,
): SlackReply {
  const who = `<@${interaction.userId}>`;
  const session = mrkdwnCode(interaction.facts.s, 120);
  const texts: Record<ActionOutcome, string> = {
    acknowledged: `:white_check_mark: Acknowledged by ${who}.`,
    suppressed: `:mute: ${who} suppressed rule ${mrkdwnCode(interaction.facts.r, 100)} for this principal and target until ${new Date(now.getTime() + config.alerts.slackActions.suppressHours * 3_600_000).toISOString()}.`,
    'not-allowed': `:no_entry: ${who} may not terminate sessions (alerts.slackActions.terminateUserIds). Nothing was changed.`,
    failed: `:warning: Terminating session ${session} failed (requested by ${who}); it may be retried.`,
    terminated: `:octagonal_sign: Session ${session} terminated, requested by ${who}.`,
    'dry-run': `:test_tube: Dry run: session ${session} would have been terminated, requested by ${who} (autoTerminate.dryRun is on).`,
    exempt: `:no_entry: Session ${session} not terminated: its principal is exempt (autoTerminate.exemptPrincipals). Requested by ${who}.`,
    'unknown-principal': `:no_entry: Session ${session} not terminated: its principal is unknown. Requested by ${who}.`,
    'already-ended': `:information_source: Session ${session} had already ended. Requested by ${who}.`,
    duplicate: `:information_source: Session ${session} was already terminated${config.autoTerminate.dryRun ? ' (in dry run)' : ''}, by the responder or from Slack. Requested by ${who}.`,
    capped: `:no_entry: Session ${session} not terminated: the hourly cap (autoTerminate.maxPerHour) is reached. Requested by ${who}.`,
  };
  return {
    text: texts[outcome],
    // A refusal of the person's own request is theirs to see; outcomes are the channel's.
    response_type: outcome === 'not-allowed' ? 'ephemeral' : 'in_channel',
    replace_original: false,
    thread_ts: interaction.threadTs,
  };
}
