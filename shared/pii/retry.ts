/** How a failed DetectPiiEntities call is handled. */
export type FailureKind = 'transient' | 'too-large' | 'permanent';

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
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  Reason?: unknown;
  Detail?: { Reason?: unknown };
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

export function errorName(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  return typeof e.name === 'string' && e.name ? e.name : 'Error';
}

/** Throttling arrives as several shapes (and sometimes only as a message): treat them all alike. */
export function classifyFailure(err: unknown): FailureKind {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const name = errorName(err);
  const message = typeof e.message === 'string' ? e.message : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (name === 'TextSizeLimitExceededException') return 'too-large';
  if (name === 'InvalidRequestException') {
    // The service also answers oversized or undecodable documents this way; splitting is bounded.
    return 'too-large';
  }
  if (TRANSIENT_NAMES.has(name) || e.$retryable) return 'transient';
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return 'transient';
  if (/rate exceeded|throttl|too many requests/i.test(message)) return 'transient';
  if (status !== undefined && (status === 429 || status >= 500)) return 'transient';
  return 'permanent';
}

export interface Backoff {
  /** Attempts per document, first one included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { maxAttempts: 4, baseMs: 200, capMs: 5_000 };

/** "Full jitter": a random wait up to the exponential bound spreads retries of concurrent Lambdas apart. */
export function backoffDelay(attempt: number, b: Backoff, random: () => number): number {
  const bound = Math.min(b.capMs, b.baseMs * 2 ** attempt);
  return Math.floor(random() * bound);
}
