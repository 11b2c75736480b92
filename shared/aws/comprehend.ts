import { ComprehendClient, DetectPiiEntitiesCommand } from '@aws-sdk/client-comprehend';
import type { PiiDetectApi, PiiEntity, PiiLanguage } from '../pii/types';

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

/** DetectPiiEntities behind the core's port. Errors pass through unchanged for the scanner to classify. */
export class ComprehendPiiApi implements PiiDetectApi {
  constructor(private readonly client: ComprehendClient = createComprehendClient()) {}

  async detect(text: string, languageCode: PiiLanguage): Promise<PiiEntity[]> {
    const out = await this.client.send(
      new DetectPiiEntitiesCommand({ Text: text, LanguageCode: languageCode }),
    );
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
