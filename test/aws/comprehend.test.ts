import {
  ComprehendClient,
  DetectPiiEntitiesCommand,
  type DetectPiiEntitiesCommandInput,
  InternalServerException,
  TextSizeLimitExceededException,
  TooManyRequestsException,
} from '@aws-sdk/client-comprehend';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ComprehendPiiApi,
  classifyComprehendFailure,
  comprehendError,
  createComprehendClient,
} from '#shared/aws/comprehend';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { utf8Bytes } from '#shared/pii/pack';
import { ComprehendPiiScanner } from '#shared/pii/scanner';
import { PiiScanError } from '#shared/pii/types';
import type { DetectorState, TranscriptLine } from '#shared/transcript/types';
import { findEntities } from '../pii/fake-comprehend';

const comprehend = mockClient(ComprehendClient);
const client = new ComprehendClient({ region: 'us-east-1' });
const SESSION = 'bob-0123456789abcdef0';
const waits: number[] = [];

function scanner() {
  return new ComprehendPiiScanner(new ComprehendPiiApi(client), DEFAULT_CONFIG, {
    sleep: async (ms) => void waits.push(ms),
    random: () => 0.5,
  });
}

function lines(texts: string[]): TranscriptLine[] {
  return texts.map((text, i) => ({ n: i + 1, text, erased: [] }));
}

/** Answer as the service would, from the Text of the actual request. */
function answerFromText(input: DetectPiiEntitiesCommandInput) {
  return { Entities: findEntities(input.Text ?? '') };
}

const rows = Array.from(
  { length: 5000 },
  (_, i) => `${i},Zhang Wei,wei${i}@example.cn,地址 上海市 ${i} 号,078-05-1120`,
);

beforeEach(() => {
  comprehend.reset();
  waits.length = 0;
});

describe('ComprehendPiiApi with ComprehendPiiScanner', () => {
  it('sends every document below 100 000 bytes, in the configured language, and maps offsets to lines', async () => {
    comprehend.on(DetectPiiEntitiesCommand).callsFake(answerFromText);
    const s = scanner();
    const found = await s.scan(lines(rows), {}, SESSION, { final: true });
    const calls = comprehend.commandCalls(DetectPiiEntitiesCommand);
    expect(calls.length).toBeGreaterThan(2);
    for (const c of calls) expect(utf8Bytes(c.args[0].input.Text ?? '')).toBeLessThan(100_000);
    expect(comprehend).toHaveReceivedCommandWith(DetectPiiEntitiesCommand, { LanguageCode: 'en' });
    const emails = found.filter((d) => d.kind === 'EMAIL');
    expect(emails.map((d) => [d.line, d.value])).toEqual(rows.map((_, i) => [i + 1, `wei${i}@example.cn`]));
    expect(found.filter((d) => d.kind === 'NAME')).toHaveLength(rows.length);
    expect(s.stats.requests).toBe(calls.length);
    const chars = calls.reduce((n, c) => n + [...(c.args[0].input.Text ?? '')].length, 0);
    expect(s.stats.characters).toBe(chars);
    expect(s.stats.units).toBe(
      calls.reduce((n, c) => n + Math.max(3, Math.ceil([...(c.args[0].input.Text ?? '')].length / 100)), 0),
    );
  });

  it('retries throttling, then succeeds', async () => {
    comprehend
      .on(DetectPiiEntitiesCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .callsFake(answerFromText);
    const found = await scanner().scan(lines(rows.slice(0, 10)), {}, SESSION, { final: true });
    expect(found.filter((d) => d.kind === 'EMAIL')).toHaveLength(10);
    expect(comprehend).toHaveReceivedCommandTimes(DetectPiiEntitiesCommand, 3);
    expect(waits).toHaveLength(2);
  });

  it('splits a document refused as too large', async () => {
    let first = true;
    comprehend.on(DetectPiiEntitiesCommand).callsFake((input: DetectPiiEntitiesCommandInput) => {
      if (first) {
        first = false;
        throw new TextSizeLimitExceededException({ message: 'too large', $metadata: {} });
      }
      return answerFromText(input);
    });
    const found = await scanner().scan(lines(rows.slice(0, 10)), {}, SESSION, { final: true });
    expect(found.filter((d) => d.kind === 'SSN')).toHaveLength(10);
    expect(comprehend).toHaveReceivedCommandTimes(DetectPiiEntitiesCommand, 3);
  });

  it('outage: rejects with PiiScanError and marks nothing as seen', async () => {
    comprehend
      .on(DetectPiiEntitiesCommand)
      .rejects(new InternalServerException({ message: 'down', $metadata: {} }));
    const s = scanner();
    const state: DetectorState = {};
    await expect(s.scan(lines(rows.slice(0, 10)), state, SESSION, { final: true })).rejects.toBeInstanceOf(
      PiiScanError,
    );
    expect(comprehend).toHaveReceivedCommandTimes(DetectPiiEntitiesCommand, 4);
    expect(state).toEqual({});
    expect(s.stats).toMatchObject({ requests: 0, units: 0 });

    comprehend.reset();
    comprehend.on(DetectPiiEntitiesCommand).callsFake(answerFromText);
    const found = await s.scan(lines(rows.slice(0, 10)), state, SESSION, { final: true });
    expect(found.filter((d) => d.kind === 'EMAIL')).toHaveLength(10);
  });

  it('skips entities the service returns without offsets or type', async () => {
    comprehend.on(DetectPiiEntitiesCommand).resolves({
      Entities: [
        { Type: 'EMAIL', Score: 0.99 },
        { BeginOffset: 0, EndOffset: 3, Score: 0.99 },
      ],
    });
    await expect(new ComprehendPiiApi(client).detect('abc def', 'en')).resolves.toEqual([]);
  });

  it('creates a client with adaptive retries and a small attempt count', async () => {
    const c = createComprehendClient('eu-west-1');
    expect(await c.config.maxAttempts()).toBe(2);
    expect(c.config.retryMode).toBe('adaptive');
    expect(await c.config.region()).toBe('eu-west-1');
  });
});

describe('DetectPiiEntities failures', () => {
  const TEXT = 'card 4111 1111 1111 1111 of jane.doe@example.org';
  const sdkError = (name: string, message: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), { name, ...extra });

  it.each([
    [
      'no credentials',
      sdkError('CredentialsProviderError', 'Could not load credentials from any providers'),
      'CredentialsMissing',
      'permanent',
    ],
    ['no region', sdkError('Error', 'Region is missing'), 'RegionMissing', 'permanent'],
    [
      'DNS failure',
      sdkError('Error', 'getaddrinfo ENOTFOUND comprehend.us-east-1.amazonaws.com', { code: 'ENOTFOUND' }),
      'NetworkError',
      'transient',
    ],
    ['a bare rate limit', sdkError('Error', 'Rate exceeded'), 'ThrottlingException', 'transient'],
    ['a timeout', sdkError('TimeoutError', 'socket hang up'), 'TimeoutError', 'transient'],
    [
      'access denied',
      sdkError('AccessDeniedException', `User is not authorized: ${TEXT}`, {
        $metadata: { httpStatusCode: 400 },
      }),
      'AccessDeniedException',
      'permanent',
    ],
    [
      'throttling',
      sdkError('ThrottlingException', 'Rate exceeded', { $metadata: { httpStatusCode: 400 } }),
      'ThrottlingException',
      'transient',
    ],
    [
      'an outage',
      sdkError('Error', `oops ${TEXT}`, { $metadata: { httpStatusCode: 503 } }),
      'UnknownError',
      'transient',
    ],
    ['anything else', sdkError('TypeError', `cannot read ${TEXT}`), 'UnknownError', 'permanent'],
  ])('%s: named %s, classified as before, quoting no text', async (_what, error, name, kind) => {
    comprehend.on(DetectPiiEntitiesCommand).rejects(error);
    const thrown = await new ComprehendPiiApi(client).detect(TEXT, 'en').catch((e: unknown) => e);
    expect(thrown).toMatchObject({ name });
    // Retried or not exactly as the SDK's own error would have been, and classifies the same again.
    expect(thrown).toMatchObject({ failure: kind });
    expect(classifyComprehendFailure(error)).toBe(kind);
    expect(classifyComprehendFailure(thrown)).toBe(kind);
    const text = `${String(thrown)} ${JSON.stringify(thrown)}`;
    for (const value of ['4111', 'jane.doe', 'comprehend.us-east-1']) expect(text).not.toContain(value);
  });

  it('the scanner reports the cause by name', async () => {
    comprehend
      .on(DetectPiiEntitiesCommand)
      .rejects(sdkError('CredentialsProviderError', 'Could not load credentials from any providers'));
    const failed = await scanner()
      .scan(lines(['jane.doe@example.org']), {}, SESSION, { final: true })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(PiiScanError);
    expect(String((failed as Error).message)).toBe(
      'Comprehend DetectPiiEntities failed (CredentialsMissing)',
    );
    expect(comprehendError(undefined).name).toBe('UnknownError');
  });
});
