import {
  ComprehendClient,
  DetectPiiEntitiesCommand,
  type DetectPiiEntitiesCommandOutput,
} from '@aws-sdk/client-comprehend';
import type { FailureKind } from '../pii/retry';
import type { PiiDetectApi, PiiEntity, PiiLanguage } from '../pii/types';
import { isTransientAwsError, NETWORK_CODES, THROTTLED } from './retry';

/**
 * Retries combine: the SDK retries each call up to `maxAttempts` times (adaptive mode adds a
 * client-side rate limiter shared by every call in the container, which is what smooths throttling),
 * and ComprehendPiiScanner retries a document up to its own `backoff.maxAttempts` (4) with longer,
 * jittered waits. With 2 SDK attempts a document is sent at most 8 times before the delivery fails
 * and CloudWatch Logs retries it later; more SDK attempts would multiply that for little gain.
 */
export const COMPREHEND_SDK_MAX_ATTEMPTS = 2;

export function createComprehendClient(region?: string): ComprehendClient {
  return new ComprehendClient({
    ...(region ? { region } : {}),
    maxAttempts: COMPREHEND_SDK_MAX_ATTEMPTS,
    retryMode: 'adaptive',
  });
}

/**
 * How the PII scanner handles a failed DetectPiiEntities call: a document the service refuses as too
 * large, or answers InvalidRequestException for (it does so for oversized or undecodable documents),
 * is split (a bounded number of times); throttling, 5xx, timeouts and network failures are retried.
 */
export function classifyComprehendFailure(err: unknown): FailureKind {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'TextSizeLimitExceededException' || name === 'InvalidRequestException') return 'too-large';
  return isTransientAwsError(err) ? 'transient' : 'permanent';
}

/**
 * A failed DetectPiiEntities call, named after its cause: the scanner reports the name
 * ("DetectPiiEntities failed (CredentialsMissing)"), so it must say what went wrong where the SDK only
 * says `Error`. The message is our own phrase; the SDK's, which may echo the request, is dropped.
 * `failure` tells the scanner what to do (shared/pii/retry.ts), classified from the SDK's error;
 * `code`, `$metadata` and `$retryable` are kept, so the error classifies as the SDK's would.
 */
export class ComprehendCallError extends Error {
  override readonly name: string;
  readonly failure: FailureKind;
  readonly code?: string;
  readonly $metadata?: { httpStatusCode?: number };
  readonly $retryable?: unknown;

  constructor(name: string, message: string, original: ErrorFields) {
    super(message);
    this.name = name;
    this.failure = classifyComprehendFailure(original);
    if (typeof original.code === 'string') this.code = original.code;
    const status = original.$metadata?.httpStatusCode;
    if (typeof status === 'number') this.$metadata = { httpStatusCode: status };
    if (original.$retryable !== undefined) this.$retryable = original.$retryable;
  }
}

interface ErrorFields {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

/** Service exception names are already a clear cause (`AccessDeniedException`, `ThrottlingException`). */
const SERVICE_NAME = /^[A-Z][A-Za-z0-9]*(?:Exception|Error|Fault)$|^[A-Z][A-Za-z]+(?:\.[A-Z][A-Za-z]+)?$/;
/** Names that say nothing about the cause. */
const GENERIC_NAMES = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'CredentialsProviderError',
]);

/** The error a DetectPiiEntities failure is rethrown as: same classification, a cause in its name. */
export function comprehendError(err: unknown): ComprehendCallError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorFields;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  // SDK phrases tested for the cause only; never copied into the new message.
  const message = typeof e.message === 'string' ? e.message.slice(0, 200) : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new ComprehendCallError('CredentialsMissing', 'no AWS credentials found', e);
  }
  if (/Region is missing/i.test(message)) {
    return new ComprehendCallError('RegionMissing', 'no AWS region configured', e);
  }
  if (NETWORK_CODES.has(code)) {
    return new ComprehendCallError('NetworkError', `Comprehend endpoint unreachable (${code})`, e);
  }
  if (GENERIC_NAMES.has(name) && THROTTLED.test(message)) {
    return new ComprehendCallError(
      'ThrottlingException',
      'Comprehend throttled the request (rate exceeded)',
      e,
    );
  }
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ComprehendCallError('TimeoutError', 'Comprehend request timed out', e);
  }
  if (!GENERIC_NAMES.has(name) && SERVICE_NAME.test(name) && name.length <= 64) {
    const status =
      typeof e.$metadata?.httpStatusCode === 'number' ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    return new ComprehendCallError(name, `Comprehend answered ${name}${status}`, e);
  }
  return new ComprehendCallError('UnknownError', 'DetectPiiEntities failed for an unknown reason', e);
}

/**
 * DetectPiiEntities behind the core's port. Failures are rethrown as {@link ComprehendCallError}: it
 * carries the classification the scanner acts on, and no message quotes the request text.
 */
export class ComprehendPiiApi implements PiiDetectApi {
  constructor(private readonly client: ComprehendClient = createComprehendClient()) {}

  async detect(text: string, languageCode: PiiLanguage): Promise<PiiEntity[]> {
    let out: DetectPiiEntitiesCommandOutput;
    try {
      out = await this.client.send(new DetectPiiEntitiesCommand({ Text: text, LanguageCode: languageCode }));
    } catch (err) {
      throw comprehendError(err);
    }
    const entities: PiiEntity[] = [];
    for (const e of out.Entities ?? []) {
      if (e.Type === undefined || e.BeginOffset === undefined || e.EndOffset === undefined) continue;
      entities.push({
        Type: e.Type,
        Score: e.Score ?? 0,
        BeginOffset: e.BeginOffset,
        EndOffset: e.EndOffset,
      });
    }
    return entities;
  }
}
