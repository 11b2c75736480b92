import type { ResponseOutcome } from '../respond/respond';
import type { CatalogueRule, RuleFamily } from './types';

/**
 * Findings about the monitor's own work rather than about a session's content. Each rule's matcher
 * reads the outcome of the step that emits it: the transcript scan (shared/transcript/scan.ts) or
 * the responder (shared/respond/respond.ts), which emit the finding exactly when it matches.
 * End-to-end cases of scan-work-capped, through the real scan: examples/scan-work-capped.json.
 */

/** What one delivery's transcript scan ran into. */
export interface ScanOutcome {
  source: 'scan';
  /** The personal-data scan failed: after its retries (`retry`) or for good (`permanent`). */
  piiFailed?: 'retry' | 'permanent';
  /** Hits only counted in this delivery: past the per-line value cap, past the per-delivery cap. */
  capped: { lineValues: number; deliveryDetections: number };
}

/** What the responder did with a finding. */
export interface ResponderOutcome {
  source: 'responder';
  outcome: ResponseOutcome;
}

export type SystemOutcome = ScanOutcome | ResponderOutcome;

export interface SystemRule extends CatalogueRule<SystemOutcome> {
  /** True when the step whose outcome this is must emit the rule's finding. */
  matches(outcome: SystemOutcome): boolean;
}

const NOTHING_CAPPED = { lineValues: 0, deliveryDetections: 0 };

export const PII_UNAVAILABLE: SystemRule = {
  id: 'scan-pii-unavailable',
  category: 'scan-error',
  severity: 'HIGH',
  title: 'Personal-data scan unavailable for this session',
  description:
    'The personal-data scanner (Amazon Comprehend) failed after its retries. Commands and secrets were still ' +
    'scanned locally; the delivery is failed so CloudWatch Logs retries it for up to 24 hours.',
  playbook: [
    'Check the transcripts function logs and its Throttles alarm for the cause (throttling, permissions, outage).',
    'If it persists, raise the Comprehend quota or lower stack.transcriptsConcurrency.',
    'Deliveries that still fail land in the transcripts DLQ: re-drive them once the cause is fixed.',
  ],
  matches: (o) => o.source === 'scan' && o.piiFailed !== undefined,
  examples: {
    match: [
      { source: 'scan', piiFailed: 'retry', capped: NOTHING_CAPPED },
      { source: 'scan', piiFailed: 'permanent', capped: { lineValues: 3, deliveryDetections: 0 } },
    ],
    noMatch: [
      { source: 'scan', capped: NOTHING_CAPPED },
      { source: 'responder', outcome: 'terminated' },
    ],
  },
};

export const WORK_CAPPED: SystemRule = {
  id: 'scan-work-capped',
  category: 'scan-error',
  severity: 'LOW',
  title: 'Transcript scan reached a work limit: part of the evidence was only counted',
  description:
    'The session printed more secrets or personal data than the scan keeps as evidence: more than 512 distinct ' +
    'values on one line (LINE_VALUES_CAPPED) or more than 20 000 detections in one delivery ' +
    '(DELIVERY_DETECTIONS_CAPPED). Everything was still scanned and counted in the other findings of the ' +
    'session; hits past the limit carry no excerpt or line number and repeats among them are counted again.',
  playbook: [
    'Read the other findings of the session: their counts include the capped hits.',
    'A bulk dump (a table, a key file, a log of tokens) was printed: find the command that printed it and treat every value it holds as exposed.',
    'If the output looks generated to flood the monitor, review the rest of the session closely.',
  ],
  matches: (o) => o.source === 'scan' && (o.capped.lineValues > 0 || o.capped.deliveryDetections > 0),
  examples: {
    match: [
      { source: 'scan', capped: { lineValues: 100, deliveryDetections: 0 } },
      { source: 'scan', capped: { lineValues: 0, deliveryDetections: 5000 } },
    ],
    noMatch: [
      { source: 'scan', capped: NOTHING_CAPPED },
      { source: 'scan', piiFailed: 'retry', capped: NOTHING_CAPPED },
    ],
  },
};

export const SESSION_TERMINATED: SystemRule = {
  id: 'responder.session-terminated',
  category: 'session-terminated',
  severity: 'HIGH',
  title: 'Session terminated by ssm-sentinel',
  description:
    'The responder ended a session because of a finding at or above autoTerminate.minSeverity (LOW in dry-run ' +
    'mode: it would have ended it).',
  playbook: [
    'Read the triggering finding (linked in the reasons) and confirm it was right.',
    'Contact the principal; if the session was legitimate, add a narrow exemptPrincipals pattern.',
    'If it was an intrusion, rotate the credentials the principal used and review the instance.',
  ],
  // A dry run reports what the real mode would have done.
  matches: (o) => o.source === 'responder' && (o.outcome === 'terminated' || o.outcome === 'dry-run'),
  examples: {
    match: [
      { source: 'responder', outcome: 'terminated' },
      { source: 'responder', outcome: 'dry-run' },
    ],
    noMatch: [
      { source: 'responder', outcome: 'exempt' },
      { source: 'responder', outcome: 'already-ended' },
      { source: 'responder', outcome: 'capped' },
    ],
  },
};

export const SYSTEM_RULES: readonly SystemRule[] = [PII_UNAVAILABLE, WORK_CAPPED, SESSION_TERMINATED];

export const SYSTEM_FAMILY: RuleFamily<SystemRule, SystemOutcome> = {
  name: 'system',
  rules: SYSTEM_RULES,
  fires: (rule, outcome) => rule.matches(outcome),
};
