/** One entity as DetectPiiEntities returns it; offsets are Unicode code points, `EndOffset` exclusive. */
export interface PiiEntity {
  Type: string;
  Score: number;
  BeginOffset: number;
  EndOffset: number;
}

export type PiiLanguage = 'en' | 'es';

/** The port the core needs from Comprehend (adapter: shared/aws/comprehend.ts; fakes in tests and the bench). */
export interface PiiDetectApi {
  detect(text: string, languageCode: PiiLanguage): Promise<PiiEntity[]>;
}

/** Cost accounting: what Comprehend billed (successful requests only). */
export interface PiiStats {
  requests: number;
  /** Characters (code points) sent in billed requests. */
  characters: number;
  /** Billed units: per request max(3, ceil(characters / 100)). */
  units: number;
  /** Attempts that failed and were retried (throttling, 5xx, size splits). */
  retries: number;
}

/**
 * The text could not be scanned. `retryable` is false for errors a later retry cannot fix
 * (access denied, unsupported language, a piece the service refuses at any size).
 * The message names the error type only: never any of the text.
 */
export class PiiScanError extends Error {
  override readonly name = 'PiiScanError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly causeName?: string,
  ) {
    super(message);
  }
}
