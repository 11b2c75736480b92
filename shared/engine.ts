import { createLocalPiiScanner } from './detect/pii-local';
import { secretDetector } from './detect/secrets';
import type { Config } from './model/config';
import { ComprehendPiiScanner } from './pii/scanner';
import type { PiiDetectApi } from './pii/types';
import { createCommandDetector } from './transcript/commands';
import type { Detector, PiiScanner } from './transcript/types';

/**
 * The one assembly of the transcript engine, used by the CLI and the transcripts Lambda alike, so
 * both run exactly the same detectors.
 */
export function transcriptDetectors(): Detector[] {
  return [createCommandDetector(), secretDetector];
}

export type PiiMode = 'local' | 'comprehend' | 'off';

/** The personal-data scanner for a mode; `comprehend` needs the service adapter (shared/aws/comprehend). */
export function piiScanner(mode: PiiMode, config: Config, api?: PiiDetectApi): PiiScanner | undefined {
  if (mode === 'off') return undefined;
  if (mode === 'local') return createLocalPiiScanner(config);
  if (!api) throw new Error('comprehend mode needs a Comprehend client');
  return new ComprehendPiiScanner(api, config);
}
