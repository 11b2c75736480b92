import { createLocalPiiScanner } from './detect/pii-local';
import { secretDetector } from './detect/secrets';
import type { Config } from './model/config';
import { PrescreenedPiiScanner } from './pii/prescreen';
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

/**
 * The personal-data scanner for a mode; `comprehend` needs the service adapter (shared/aws/comprehend).
 * With `pii.localPrescreen`, `comprehend` runs the offline detector too and sends Comprehend only
 * the text it cannot classify itself.
 */
export function piiScanner(mode: PiiMode, config: Config, api?: PiiDetectApi): PiiScanner | undefined {
  if (mode === 'off') return undefined;
  if (mode === 'local') return createLocalPiiScanner(config);
  if (!api) throw new Error('comprehend mode needs a Comprehend client');
  const comprehend = new ComprehendPiiScanner(api, config);
  return config.pii.localPrescreen ? new PrescreenedPiiScanner(comprehend, config) : comprehend;
}
