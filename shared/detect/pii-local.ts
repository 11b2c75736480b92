import type { Config } from '../model/config';
import { LOCAL_PII_RULES, piiSeverity } from '../rules/pii-rules';
import type { Detector, PiiScanner } from '../transcript/types';
import { PiiEngine, type PiiMatch, type SsnColumns } from './pii-engine';

/**
 * The offline personal-data detector: the engine (pii-engine.ts) over the catalogue's local PII
 * rules (shared/rules/pii-rules.ts: e-mail, payment card, IBAN, US SSN, phone). Same output as the
 * Comprehend scanner (Comprehend entity types as kinds, a 0..1 score). The factories filter by
 * `config.pii.minScore`; {@link findLocalPii} does not.
 */

export type { PiiMatch, SsnColumns };

const ENGINE = new PiiEngine(LOCAL_PII_RULES);

/**
 * Structured personal data in one piece of text. `ssnColumns` gives table context for SSNs. A long
 * text is scanned in overlapping windows (see windows.ts): linear in its length whatever it holds.
 */
export function findLocalPii(text: string, ssnColumns: readonly SsnColumns[] = []): PiiMatch[] {
  return ENGINE.find(text, ssnColumns);
}

/** Offline PII detector; severities and the score threshold come from `config.pii`. */
export function createLocalPiiDetector(config: Config): Detector {
  return ENGINE.detector(config, piiSeverity);
}

/** Same detector as a {@link PiiScanner} (the `--pii local` choice). */
export function createLocalPiiScanner(config: Config): PiiScanner {
  const detector = createLocalPiiDetector(config);
  return {
    name: 'pii-local',
    scan: async (lines, state) => detector.scan(lines, state),
  };
}
