import type { RuleMeta } from './types';

/** Findings about the monitor's own work rather than about a session's content. */
export const SYSTEM_RULES: RuleMeta[] = [
  {
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
  },
  {
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
  },
  {
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
  },
];
