/**
 * Retry knowledge for calls to AWS services and other outside endpoints: one backoff formula for
 * every adapter (Comprehend through the PII scanner, the Slack webhook), and which AWS SDK errors are
 * worth retrying.
 */

export interface Backoff {
  /** Attempts per call, first one included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
  /**
   * Share of the exponential bound always waited (0..1). 0 is "full jitter" (a random wait up to the
   * bound), which spreads retries of concurrent callers apart best; 0.5 waits at least half of it.
   */
  minShare?: number;
}

/** Milliseconds to wait before retry number `retry` (0 = the first retry): capped exponential, jittered. */
export function backoffDelay(retry: number, b: Omit<Backoff, 'maxAttempts'>, random: () => number): number {
  const bound = Math.min(b.capMs, b.baseMs * 2 ** retry);
  const floor = b.minShare ?? 0;
  return Math.floor(bound * (floor + (1 - floor) * random()));
}

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'InternalServerException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** Network failures (Node system codes). */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** Throttling sometimes arrives only as a message. */
export const THROTTLED = /rate exceeded|throttl|too many requests/i;

interface SdkErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

/**
 * Whether an AWS SDK error (or one of our adapters' errors keeping its fields) may succeed when the
 * call is repeated: throttling in any of its shapes, 5xx, timeouts and network failures.
 */
export function isTransientAwsError(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (TRANSIENT_NAMES.has(name) || e.$retryable) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (THROTTLED.test(message)) return true;
  return status !== undefined && (status === 429 || status >= 500);
}
