import { createLocalPiiScanner } from '../detect/pii-local';
import { secretDetector } from '../detect/secrets';
import type { Config } from '../model/config';
import { PrescreenedPiiScanner } from '../pii/prescreen';
import { ComprehendPiiScanner } from '../pii/scanner';
import type { PiiDetectApi } from '../pii/types';
import { createCommandDetector } from '../transcript/commands';
import type { Detector, DetectorState, PiiScanner } from '../transcript/types';

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

/**
 * A personal-data scanner that never leaves text unscanned when its primary (Comprehend) cannot run:
 * on the first failure it calls `onFallback` once and scans that delivery and every later one with
 * the local detector. For the CLI, where nothing re-delivers a failed batch; the transcripts Lambda
 * keeps the plain scanner and its retry. Text the primary held back for packing before it failed is
 * not re-scanned (it was never returned to the engine).
 */
export function withLocalFallback(
  primary: PiiScanner,
  config: Config,
  onFallback: (error: unknown) => void,
): PiiScanner {
  const local = createLocalPiiScanner(config);
  let failed = false;
  return {
    name: primary.name,
    async scan(lines, state, sessionId, options) {
      if (!failed) {
        try {
          return await primary.scan(lines, subState(state, 'primary'), sessionId, options);
        } catch (e) {
          failed = true;
          onFallback(e);
        }
      }
      return local.scan(lines, subState(state, 'local'), sessionId, options);
    },
  };
}

/** Each scanner keeps its own memo inside the wrapper's state. */
function subState(state: DetectorState, key: string): DetectorState {
  const s = state[key];
  if (typeof s === 'object' && s !== null && !Array.isArray(s)) return s as DetectorState;
  const fresh: DetectorState = {};
  state[key] = fresh;
  return fresh;
}
