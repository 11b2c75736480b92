import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack request signing (api.slack.com/authentication/verifying-requests-from-slack): the
 * `X-Slack-Signature` header is `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>`
 * under the app's signing secret. Checked before anything else reads the request.
 */

/** How far the request timestamp may be from now, either way (Slack's recommendation). */
export const MAX_SKEW_S = 300;

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
/** Longer header values are not looked at (a signature is 67 characters). */
const MAX_HEADER = 100;

export type VerifyFailure = 'missing' | 'stale' | 'bad-signature';
export type VerifyResult = { ok: true; timestampS: number } | { ok: false; reason: VerifyFailure };

export interface SlackRequest {
  signingSecret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The body exactly as sent (bytes, or the string Slack sent as UTF-8). */
  rawBody: string | Uint8Array;
  nowMs: number;
}

/** Whether the request was signed by Slack within the last five minutes; reasons never quote a value. */
export function verifySlackRequest(req: SlackRequest): VerifyResult {
  const { timestamp, signature } = req;
  if (!req.signingSecret || !timestamp || !signature) return { ok: false, reason: 'missing' };
  if (timestamp.length > MAX_HEADER || !TIMESTAMP.test(timestamp)) return { ok: false, reason: 'stale' };
  const timestampS = Number(timestamp);
  if (Math.abs(req.nowMs / 1000 - timestampS) > MAX_SKEW_S) return { ok: false, reason: 'stale' };
  if (signature.length > MAX_HEADER || !SIGNATURE.test(signature)) {
    return { ok: false, reason: 'bad-signature' };
  }
  const expected = createHmac('sha256', req.signingSecret)
    .update(`v0:${timestamp}:`)
    .update(req.rawBody)
    .digest();
  const given = Buffer.from(signature.slice(3), 'hex');
  // Both are 32 bytes here (the pattern fixed the length): the comparison takes the same time either way.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature' };
  }
  return { ok: true, timestampS };
}

/** Sign a body as Slack does (tests, local invoke). */
export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}
