import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackRequest } from '#shared/slack/verify';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW_S = 1_767_225_600;
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

function request(overrides: Partial<Parameters<typeof verifySlackRequest>[0]> = {}) {
  const timestamp = String(NOW_S);
  return {
    signingSecret: SECRET,
    timestamp,
    signature: signSlackRequest(SECRET, timestamp, BODY),
    rawBody: BODY,
    nowMs: NOW_S * 1000,
    ...overrides,
  };
}

describe('verifySlackRequest', () => {
  it('accepts a request signed as Slack signs it (v0:timestamp:body, HMAC-SHA256, hex)', () => {
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${NOW_S}:${BODY}`).digest('hex')}`;
    expect(request().signature).toBe(expected);
    expect(verifySlackRequest(request())).toEqual({ ok: true, timestampS: NOW_S });
    expect(verifySlackRequest(request({ rawBody: Buffer.from(BODY) })).ok).toBe(true);
  });

  it('refuses a wrong signature, another secret, a changed body or timestamp', () => {
    const flip = (s: string) => `${s.slice(0, -1)}${s.endsWith('0') ? '1' : '0'}`;
    const good = request();
    for (const r of [
      request({ signature: flip(good.signature) }),
      request({ signingSecret: 'another-secret' }),
      request({ rawBody: `${BODY}x` }),
      request({ timestamp: String(NOW_S + 1) }),
    ]) {
      expect(verifySlackRequest(r)).toEqual({ ok: false, reason: 'bad-signature' });
    }
  });

  it('refuses malformed signature headers without comparing them', () => {
    for (const signature of [
      'v1=abc',
      'v0=',
      `v0=${'g'.repeat(64)}`,
      `v0=${'a'.repeat(63)}`,
      'x'.repeat(10_000),
    ]) {
      expect(verifySlackRequest(request({ signature }))).toEqual({ ok: false, reason: 'bad-signature' });
    }
  });

  it('refuses a timestamp more than five minutes away, either way', () => {
    const at = (offsetS: number) => {
      const timestamp = String(NOW_S + offsetS);
      return request({ timestamp, signature: signSlackRequest(SECRET, timestamp, BODY) });
    };
    expect(verifySlackRequest(at(-300)).ok).toBe(true);
    expect(verifySlackRequest(at(300)).ok).toBe(true);
    expect(verifySlackRequest(at(-360))).toEqual({ ok: false, reason: 'stale' });
    expect(verifySlackRequest(at(301))).toEqual({ ok: false, reason: 'stale' });
    for (const timestamp of ['abc', '-1', '1e9', ' 1767225600', '9'.repeat(200)]) {
      expect(verifySlackRequest(request({ timestamp }))).toEqual({ ok: false, reason: 'stale' });
    }
  });

  it('refuses missing headers or secret, and never quotes a value', () => {
    expect(verifySlackRequest(request({ signature: undefined }))).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackRequest(request({ timestamp: undefined }))).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackRequest(request({ signingSecret: '' }))).toEqual({ ok: false, reason: 'missing' });
    const out = JSON.stringify(verifySlackRequest(request({ signingSecret: 'nope' })));
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain(request().signature.slice(3));
  });
});
