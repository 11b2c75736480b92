import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { backoffDelay } from '#shared/aws/retry';
import { postWebhook, retryAfterMs, WebhookError } from '#shared/aws/slack-webhook';
import { hang, status, useWebhookServer } from '../helpers/webhook-server';

const { replies, bodies, url: webhookUrl } = useWebhookServer();
let url: URL;

beforeAll(() => {
  url = new URL(webhookUrl('/services/T0000/B0000/s3cr3tT0k3n'));
});

const waits: number[] = [];
const fast = { sleep: async (ms: number) => void waits.push(ms), random: () => 1 };

describe('postWebhook', () => {
  it('posts the JSON payload', async () => {
    const result = await postWebhook(url, { text: 'hello' }, fast);
    expect(result).toEqual({ ok: true, status: 200, attempts: 1 });
    expect(bodies).toEqual(['{"text":"hello"}']);
  });

  it('retries a 5xx with backoff and succeeds', async () => {
    waits.length = 0;
    replies.push(status(500), status(503));
    const result = await postWebhook(url, { text: 'x' }, { ...fast, baseDelayMs: 100 });
    expect(result).toEqual({ ok: true, status: 200, attempts: 3 });
    expect(bodies).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
  });

  it('reports a 4xx once without retrying', async () => {
    replies.push(status(400, 'invalid_payload'));
    const result = await postWebhook(url, { text: 'x' }, fast);
    expect(result).toEqual({ ok: false, status: 400, attempts: 1, error: 'invalid_payload' });
    expect(bodies).toHaveLength(1);
  });

  it('honours Retry-After on 429', async () => {
    waits.length = 0;
    replies.push(status(429, 'rate_limited', { 'retry-after': '2' }));
    const result = await postWebhook(url, { text: 'x' }, fast);
    expect(result.ok).toBe(true);
    expect(waits).toEqual([2000]);
  });

  it('hands a Retry-After past the deadline back to the platform instead of waiting', async () => {
    waits.length = 0;
    replies.push(status(429, 'rate_limited', { 'retry-after': '30' }));
    const error = await postWebhook(url, { text: 'x' }, { ...fast, remainingMs: () => 10_000 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).status).toBe(429);
    expect(waits).toEqual([]);
    expect(bodies).toHaveLength(1);
  });

  it('throws after exhausting attempts on timeouts, without the URL in the error', async () => {
    replies.push(hang, hang);
    const error = await postWebhook(url, { text: 'x' }, { ...fast, maxAttempts: 2, timeoutMs: 150 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(WebhookError);
    expect((error as WebhookError).message).toBe('webhook delivery failed after 2 attempt(s): timeout');
    expect(String(error)).not.toContain('s3cr3tT0k3n');
    expect(bodies).toHaveLength(2);
  });

  it('reports a refused connection as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((r) => closed.close(() => r()));
    const error = await postWebhook(
      new URL(`http://127.0.0.1:${port}/services/x/y/s3cr3tT0k3n`),
      {},
      {
        ...fast,
        maxAttempts: 2,
      },
    ).catch((e) => e);
    expect((error as WebhookError).message).toBe(
      'webhook delivery failed after 2 attempt(s): network error ECONNREFUSED',
    );
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-03-02T14:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Mon, 02 Mar 2026 14:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});

describe('backoffDelay (the one formula of the Comprehend scanner and the webhook)', () => {
  it('doubles from the base up to the cap, jittered below the bound', () => {
    const b = { baseMs: 200, capMs: 1000 };
    expect([0, 1, 2, 3, 4].map((r) => backoffDelay(r, b, () => 1))).toEqual([200, 400, 800, 1000, 1000]);
    expect(backoffDelay(1, b, () => 0)).toBe(0);
    expect(backoffDelay(1, b, () => 0.5)).toBe(200);
  });

  it('always waits the minimum share of the bound', () => {
    const b = { baseMs: 300, capMs: 8000, minShare: 0.5 };
    expect(backoffDelay(0, b, () => 0)).toBe(150);
    expect(backoffDelay(0, b, () => 1)).toBe(300);
    expect(backoffDelay(2, b, () => 0.5)).toBe(900);
  });
});
