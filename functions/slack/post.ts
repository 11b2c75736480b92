import type { WebhookResult } from '#shared/aws/slack-webhook';
import { identityField } from '#shared/format/redact';
import { renderSlack, renderSlackDigest, type SlackMessage } from '#shared/format/slack';
import { type Digest, DigestSchema, ImmediateKindSchema, type IncidentNote } from '#shared/model/digest';
import { type Finding, FindingSchema } from '#shared/model/finding';
import type { RuleMeta } from '#shared/rules/types';
import { describeIssues } from '../commons/events';
import { maskText, remaskFinding } from '../commons/findings';

export interface SlackDeps {
  /** The webhook URL (a credential); `refresh` asks for a fresh read past the cache. */
  webhookUrl: (refresh: boolean) => Promise<URL>;
  post: (url: URL, message: SlackMessage) => Promise<WebhookResult>;
  ruleById: (id: string) => RuleMeta | undefined;
  /** Buttons on finding alerts (alerts.slackActions configured); digests carry none. */
  actions?: { suppressHours: number };
}

/** What one SNS record carried (docs/CONTRACT.md "SNS alert message"): a finding alert or a digest. */
export type AlertItem =
  | { kind: 'finding'; finding: Finding; note?: IncidentNote }
  | { kind: 'digest'; digest: Digest };

export type RecordOutcome =
  | { status: 'posted'; item: AlertItem; attempts: number }
  | { status: 'refused'; item: AlertItem; httpStatus: number; error: string }
  | { status: 'invalid'; error: string };

/** Slack statuses meaning the webhook itself is gone or revoked: the credential may have been rotated. */
const REVOKED = new Set([403, 404, 410]);

/** Longest `digestAt` read from an attribute: an ISO time is 24 characters. */
const MAX_DIGEST_AT = 40;

/**
 * The Finding or Digest JSON of an SNS record (the topic's `lambda` message), re-masked, with the
 * finding's incident note from the record's message attributes, or a one-line reason that quotes no
 * input value. The record is whatever arrived: nothing about its shape is assumed.
 */
export function alertFromRecord(
  record: unknown,
): { ok: true; item: AlertItem } | { ok: false; error: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, error: 'SNS record is not an object' };
  }
  const sns = (record as { Sns?: unknown }).Sns;
  if (typeof sns !== 'object' || sns === null) return { ok: false, error: 'SNS record without Sns' };
  const message = (sns as { Message?: unknown }).Message;
  if (typeof message !== 'string') return { ok: false, error: 'Sns.Message is not a string' };
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return {
      ok: false,
      error: 'SNS message is not JSON (expected a Finding or a Digest from the lambda protocol)',
    };
  }
  if (typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === 'digest') {
    const digest = DigestSchema.safeParse(json);
    if (digest.success) return { ok: true, item: { kind: 'digest', digest: remaskDigest(digest.data) } };
    return { ok: false, error: `SNS message is not a Digest: ${describeIssues(digest.error)}` };
  }
  const parsed = FindingSchema.safeParse(json);
  if (!parsed.success) {
    return { ok: false, error: `SNS message is not a Finding: ${describeIssues(parsed.error)}` };
  }
  const note = noteOf((sns as { MessageAttributes?: unknown }).MessageAttributes);
  return { ok: true, item: { kind: 'finding', finding: remaskFinding(parsed.data), ...(note && { note }) } };
}

/** The `Value` of a Lambda SNS record's string attribute, if it is one. */
function attribute(attributes: unknown, name: string): string | undefined {
  if (typeof attributes !== 'object' || attributes === null) return undefined;
  const attr = (attributes as Record<string, unknown>)[name];
  if (typeof attr !== 'object' || attr === null) return undefined;
  const value = (attr as { Value?: unknown }).Value;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The incident note of a finding alert (attributes `alert` and `digestAt`); none when `alert` is
 * missing or not a finding alert's kind. A bad `digestAt` is dropped: the text then names no time.
 */
function noteOf(attributes: unknown): IncidentNote | undefined {
  const kind = ImmediateKindSchema.safeParse(attribute(attributes, 'alert'));
  if (!kind.success) return undefined;
  const at = attribute(attributes, 'digestAt');
  const valid = at !== undefined && at.length <= MAX_DIGEST_AT && !Number.isNaN(Date.parse(at));
  return valid ? { kind: kind.data, digestAt: at } : { kind: kind.data };
}

/**
 * The digest with every text re-masked, as findings are (functions/commons/findings.ts): who acted
 * and the session id as the core shows them, everything else as free text.
 */
export function remaskDigest(digest: Digest): Digest {
  const text = (v: string | undefined) => (v === undefined ? undefined : maskText(v));
  const identity = (v: string | undefined) => (v === undefined ? undefined : (identityField(v, 512) ?? ''));
  const { incident } = digest;
  const principal = incident.principal && {
    ...incident.principal,
    arn: identity(incident.principal.arn) ?? '',
    type: maskText(incident.principal.type),
    ...(incident.principal.name !== undefined && { name: identity(incident.principal.name) }),
  };
  const masked: Digest['incident'] = { ...incident };
  for (const key of ['target', 'account', 'region', 'sessionKind', 'sourceIp'] as const) {
    if (incident[key] !== undefined) masked[key] = text(incident[key]);
  }
  if (incident.sessionId !== undefined) masked.sessionId = identity(incident.sessionId);
  if (principal) masked.principal = principal;
  return {
    ...digest,
    id: maskText(digest.id),
    incident: masked,
    window: { ...digest.window, start: maskText(digest.window.start), end: maskText(digest.window.end) },
    rules: digest.rules.map((r) => ({
      ...r,
      ruleId: maskText(r.ruleId),
      title: maskText(r.title),
      ...(r.excerpt !== undefined && { excerpt: maskText(r.excerpt) }),
    })),
  };
}

/**
 * Post one record's finding or digest to Slack. Retryable failures (5xx, 429, timeouts) throw after
 * the adapter's retries, so the platform retries the invocation; a refusal (4xx) is returned, not thrown.
 */
export async function postRecord(record: unknown, deps: SlackDeps): Promise<RecordOutcome> {
  const parsed = alertFromRecord(record);
  if (!parsed.ok) return { status: 'invalid', error: parsed.error };
  const { item } = parsed;
  const message =
    item.kind === 'digest'
      ? renderSlackDigest(item.digest)
      : renderSlack(
          item.finding,
          deps.ruleById(item.finding.ruleId),
          item.note,
          deps.actions ? { actions: deps.actions } : {},
        );
  let result = await deps.post(await deps.webhookUrl(false), message);
  if (!result.ok && REVOKED.has(result.status)) {
    // A rotated webhook is picked up at once instead of after the cache's max age.
    result = await deps.post(await deps.webhookUrl(true), message);
  }
  if (result.ok) return { status: 'posted', item, attempts: result.attempts };
  return { status: 'refused', item, httpStatus: result.status, error: result.error };
}
