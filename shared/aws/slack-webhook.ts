import { InputError } from '../errors';
import { maskCommand } from '../mask';
import { backoffDelay } from './retry';

/**
 * Slack incoming-webhook adapter (not an AWS service, but an outside endpoint like one). The URL is a
 * credential: it never appears in a result, an error or a log line produced here.
 */

export interface WebhookOptions {
  /** Per-attempt timeout; also bounded by the remaining time. */
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Milliseconds left for the whole call (Lambda `getRemainingTimeInMillis`); default unbounded. */
  remainingMs?: () => number;
  /** Time kept back from `remainingMs` for the caller to finish (log, metrics). */
  reserveMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** Delivered, or refused by Slack for good (4xx other than 429): retrying the same payload cannot help. */
export type WebhookResult =
  | { ok: true; status: number; attempts: number }
  | { ok: false; status: number; attempts: number; error: string };

/** Retryable failures (5xx, 429, timeouts, network) that outlasted the attempts or the time left. */
export class WebhookError extends InputError {
  override readonly name = 'WebhookError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(message);
  }
}

const DEFAULTS = { timeoutMs: 5000, maxAttempts: 4, baseDelayMs: 300, maxDelayMs: 8000, reserveMs: 1000 };

/** Longest Retry-After honoured in one wait, even with unbounded time. */
const MAX_RETRY_AFTER_MS = 60_000;

type Attempt = { status: number; body: string; retryAfterMs?: number } | { failure: string };

export async function postWebhook(
  url: URL,
  payload: unknown,
  options: WebhookOptions = {},
): Promise<WebhookResult> {
  const o = { ...DEFAULTS, ...options };
  const remaining = () =>
    options.remainingMs ? options.remainingMs() - o.reserveMs : Number.POSITIVE_INFINITY;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const body = JSON.stringify(payload);
  let last = 'no attempt made';
  let lastStatus: number | undefined;
  let attempts = 0;

  for (let attempt = 1; attempt <= o.maxAttempts; attempt++) {
    const budget = Math.min(o.timeoutMs, remaining());
    if (budget <= 0) break;
    attempts = attempt;
    const res = await send(url, body, budget);
    if ('failure' in res) {
      last = res.failure;
      lastStatus = undefined;
    } else if (res.status >= 200 && res.status < 300) {
      return { ok: true, status: res.status, attempts: attempt };
    } else if (res.status !== 429 && res.status < 500) {
      return { ok: false, status: res.status, attempts: attempt, error: slackError(res.body) };
    } else {
      last = `HTTP ${res.status} ${slackError(res.body)}`.trim();
      lastStatus = res.status;
    }
    if (attempt === o.maxAttempts) break;
    // At least half of the bound: a retry never follows a 5xx at once.
    const backoff = backoffDelay(
      attempt - 1,
      { baseMs: o.baseDelayMs, capMs: o.maxDelayMs, minShare: 0.5 },
      random,
    );
    const hinted = 'retryAfterMs' in res ? res.retryAfterMs : undefined;
    const delay = hinted === undefined ? backoff : Math.min(hinted, MAX_RETRY_AFTER_MS);
    // Waiting past the deadline would only get the invocation killed: hand the retry to the platform.
    if (delay >= remaining()) break;
    await sleep(delay);
  }
  throw new WebhookError(
    `webhook delivery failed after ${attempts} attempt(s): ${last}`,
    attempts,
    lastStatus,
  );
}

async function send(url: URL, body: string, timeoutMs: number): Promise<Attempt> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    const text = await res.text();
    return { status: res.status, body: text, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
  } catch (err) {
    return { failure: describe(err) };
  }
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Slack answers with short codes (`invalid_payload`, `no_service`); keep only such a code, masked. */
function slackError(body: string): string {
  return maskCommand(
    body
      .slice(0, 80)
      .replace(/[^\w .:-]/g, '')
      .trim(),
  );
}

/** Error kind without its message: fetch messages and causes can carry the request URL. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string'
    ? `network error ${code.replace(/[^\w]/g, '')}`
    : `network error ${err.name}`;
}
