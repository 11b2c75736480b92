import type { WebhookResult } from '#shared/aws/slack-webhook';
import { renderSlack, type SlackMessage } from '#shared/format/slack';
import { type Finding, FindingSchema } from '#shared/model/finding';
import type { RuleMeta } from '#shared/rules/types';
import { describeIssues } from '../commons/events';
import { remaskFinding } from '../commons/findings';

export interface SlackDeps {
  /** The webhook URL (a credential); `refresh` asks for a fresh read past the cache. */
  webhookUrl: (refresh: boolean) => Promise<URL>;
  post: (url: URL, message: SlackMessage) => Promise<WebhookResult>;
  ruleById: (id: string) => RuleMeta | undefined;
}

export type RecordOutcome =
  | { status: 'posted'; finding: Finding; attempts: number }
  | { status: 'refused'; finding: Finding; httpStatus: number; error: string }
  | { status: 'invalid'; error: string };

/** Slack statuses meaning the webhook itself is gone or revoked: the credential may have been rotated. */
const REVOKED = new Set([403, 404, 410]);

/**
 * The Finding JSON of an SNS record (the topic's `lambda` message), re-masked, or a one-line reason
 * that quotes no input value. The record is whatever arrived: nothing about its shape is assumed.
 */
export function findingFromRecord(
  record: unknown,
): { ok: true; finding: Finding } | { ok: false; error: string } {
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
    return { ok: false, error: 'SNS message is not JSON (expected the Finding from the lambda protocol)' };
  }
  const parsed = FindingSchema.safeParse(json);
  if (parsed.success) return { ok: true, finding: remaskFinding(parsed.data) };
  return { ok: false, error: `SNS message is not a Finding: ${describeIssues(parsed.error)}` };
}

/**
 * Post one record's finding to Slack. Retryable failures (5xx, 429, timeouts) throw after the
 * adapter's retries, so the platform retries the invocation; a refusal (4xx) is returned, not thrown.
 */
export async function postRecord(record: unknown, deps: SlackDeps): Promise<RecordOutcome> {
  const parsed = findingFromRecord(record);
  if (!parsed.ok) return { status: 'invalid', error: parsed.error };
  const { finding } = parsed;
  const message = renderSlack(finding, deps.ruleById(finding.ruleId));
  let result = await deps.post(await deps.webhookUrl(false), message);
  if (!result.ok && REVOKED.has(result.status)) {
    // A rotated webhook is picked up at once instead of after the cache's max age.
    result = await deps.post(await deps.webhookUrl(true), message);
  }
  if (result.ok) return { status: 'posted', finding, attempts: result.attempts };
  return { status: 'refused', finding, httpStatus: result.status, error: result.error };
}
