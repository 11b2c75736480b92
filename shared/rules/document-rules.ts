import type { Evidence } from '../model/finding';
import { DOCUMENT_ROUTE, SHARE_ROUTE } from '../session/apis';
import type { CloudTrailRule, SessionEvent } from '../session/types';

/**
 * Documents that run on instances: a new or changed Command or Automation document is code anyone
 * allowed to run documents can now run (persistence, a staged payload); sharing one with every account
 * publishes it. Session documents (any may carry preferences) have their own family
 * (preferences-rules.ts); deleting an ordinary document stays quiet. Examples: `examples/<id>.json`.
 */

const DOCS = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/documents.html';
const SHARING = 'https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-ssm-sharing.html';
const ATTACK = 'https://attack.mitre.org/techniques/';

function evidenceOf(ev: SessionEvent): Evidence[] {
  const evidence: Evidence[] = [{ kind: 'DOCUMENT', excerpt: ev.resourceName ?? '(unnamed)' }];
  if (ev.documentType) evidence.push({ kind: 'DOCUMENT_TYPE', excerpt: ev.documentType });
  return evidence;
}

export const DOCUMENT_RULES: readonly CloudTrailRule[] = [
  {
    id: 'document-runnable-changed',
    category: 'document-abuse',
    severity: 'MEDIUM',
    title: 'Command or Automation document created or changed',
    description:
      'CreateDocument, UpdateDocument or UpdateDocumentDefaultVersion of a document that runs on instances (Command or Automation; an update whose type the record does not show counts). New document content is new code for Run Command and automations. Session documents are diffed by the preferences rules.',
    playbook: [
      'Read the document content and its version history (Systems Manager › Documents › Versions).',
      'Confirm the change with its author; look for downloads, new users, keys or disabled logging in it.',
      'Check who may run it (ssm:SendCommand / ssm:StartSession on the document ARN).',
    ],
    references: [DOCS, `${ATTACK}T1651/`],
    role: 'document',
    routes: [DOCUMENT_ROUTE],
    match: (ev) => {
      if (ev.action !== 'document-change' || ev.errorCode !== undefined) return undefined;
      const name = ev.resourceName ?? 'a document';
      const reasons = [`${ev.eventName} of ${name}`];
      reasons.push(
        ev.documentType
          ? `${ev.documentType} document: its content runs on instances`
          : 'document type not in the record: it may run on instances',
      );
      return { reasons, evidence: evidenceOf(ev) };
    },
    examples: {
      match: [
        'IAM user creates a Command document',
        'Automation runbook updated',
        'default version changed (type unknown)',
        'CreateDocument without a type creates a Command document',
      ],
      noMatch: ['Package document created', 'ordinary document deleted', 'preferences document updated'],
    },
  },
  {
    id: 'document-shared-publicly',
    category: 'document-abuse',
    severity: 'HIGH',
    title: 'Document shared with every AWS account',
    description:
      'ModifyDocumentPermission added the account `all`: the document is public. Its content (commands, scripts, account ids, endpoints) is readable and runnable by anyone.',
    playbook: [
      'Remove the public permission (`aws ssm modify-document-permission --account-ids-to-remove all`) unless the publication is intended.',
      'Read the document for secrets or internal details; rotate anything it exposed.',
      'Turn on the account setting that blocks public sharing of documents.',
    ],
    references: [SHARING, `${ATTACK}T1537/`],
    role: 'document',
    routes: [SHARE_ROUTE],
    match: (ev) =>
      ev.action === 'document-share' && ev.errorCode === undefined
        ? {
            reasons: [`${ev.resourceName ?? 'a document'} shared with every AWS account (all)`],
            evidence: evidenceOf(ev),
          }
        : undefined,
    examples: {
      match: ['shared with all', 'shared with All among accounts'],
      noMatch: ['shared with one account', 'public permission removed'],
    },
  },
];
