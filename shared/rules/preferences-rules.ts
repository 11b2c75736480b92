import { redactField } from '../format/redact';
import type { Evidence } from '../model/finding';
import { PREFERENCES_ROUTE } from '../session/apis';
import {
  diffPreferences,
  digestPreferences,
  type Protection,
  preferenceInputs,
} from '../session/preferences';
import type { CloudTrailRule, Facts, Hit, SessionEvent } from '../session/types';

/**
 * The preferences family: changes to the Session Manager preferences documents. CloudTrail redacts
 * the content, so with a preferences source (GetDocument in the Lambda) the new content is diffed
 * against the digest stored at the last change. Examples: `examples/<id>.json`.
 */

const DISABLE_LOGS = 'https://attack.mitre.org/techniques/T1562/008/';

function isChange(ev: SessionEvent): boolean {
  return ev.action === 'preferences-change' && ev.errorCode === undefined;
}

/**
 * The digest of the document read now, when it could be read: what is compared and then stored.
 * Compared and stored as digests: state never holds a preference value (bucket, log group, key).
 */
export function currentDigest(ev: SessionEvent, facts: Facts): Record<string, unknown> | undefined {
  if (!isChange(ev) || ev.eventName === 'DeleteDocument' || !ev.resourceName || !facts.preferences)
    return undefined;
  const read = preferenceInputs(facts.preferences.current);
  return read === undefined ? undefined : digestPreferences(read);
}

/** An update or creation: its reasons and evidence, and the protections it switched off. */
function change(ev: SessionEvent, facts: Facts): (Hit & { disabled: Protection[] }) | undefined {
  if (!isChange(ev) || ev.eventName === 'DeleteDocument') return undefined;
  const name = ev.resourceName ?? 'a Session document';
  const evidence: Evidence[] = [{ kind: 'DOCUMENT', excerpt: name }];
  const reasons = [`${ev.eventName} of ${name}`];
  if (!facts.preferences || !ev.resourceName) {
    reasons.push('content is redacted in CloudTrail: the new preferences are unknown');
    return { reasons, evidence, disabled: [] };
  }
  const current = currentDigest(ev, facts);
  if (!current) {
    reasons.push('the new preferences could not be read');
    return { reasons, evidence, disabled: [] };
  }
  const stored = facts.preferences.stored;
  const before = stored === undefined ? undefined : digestPreferences(stored);
  const diff = diffPreferences(before, current);
  for (const c of diff.changes)
    evidence.push({ kind: 'PREFERENCE', excerpt: `${redactField(c.key, 80) ?? '(unnamed)'}: ${c.change}` });
  if (before === undefined) reasons.push('no earlier preferences known: compared against nothing');
  if (diff.disabled.length === 0) {
    if (before !== undefined && diff.changes.length === 0) reasons.push('no preference value changed');
    return { reasons, evidence, disabled: [] };
  }
  for (const d of diff.disabled) reasons.push(`${d} switched off`);
  for (const d of diff.disabled) evidence.push({ kind: 'PROTECTION_OFF', excerpt: d });
  return { reasons, evidence, disabled: diff.disabled };
}

export const PREFERENCES_RULES: readonly CloudTrailRule[] = [
  {
    id: 'session-preferences-changed',
    category: 'preferences-tampering',
    severity: 'HIGH',
    title: 'Session Manager preferences changed',
    description:
      'SSM-SessionManagerRunShell (or another Session document in preferencesDocuments / of type Session) was created or updated. CloudTrail redacts the content; when the preferences adapter is present the change is diffed.',
    playbook: [
      'Open Session Manager › Preferences and compare with the expected settings (logging, streaming, encryption, run-as, timeouts).',
      'Confirm the change with the principal; restore the previous version if unexpected.',
    ],
    references: [
      'https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-configure-preferences-cli.html',
      DISABLE_LOGS,
    ],
    role: 'preferences',
    routes: [PREFERENCES_ROUTE],
    match: (ev, facts) => {
      const c = change(ev, facts);
      return c && c.disabled.length === 0 ? { reasons: c.reasons, evidence: c.evidence } : undefined;
    },
    examples: {
      match: [
        'UpdateDocument of the preferences, content unknown',
        'benign change seen through the adapter',
        'CreateDocument of a Session-type document',
        'configured preferences document',
      ],
      noMatch: ['other document updated', 'AWS docs sample: deleting an unrelated document'],
    },
  },
  {
    id: 'session-preferences-protection-disabled',
    category: 'preferences-tampering',
    severity: 'CRITICAL',
    title: 'Session logging, streaming or encryption switched off',
    description:
      'A preferences change removed a log destination (s3BucketName / cloudWatchLogGroupName), turned cloudWatchStreamingEnabled off, or removed encryption (kmsKeyId, s3EncryptionEnabled, cloudWatchEncryptionEnabled): later sessions escape the transcript scanner.',
    playbook: [
      'Restore the preferences (previous document version) now.',
      'List the sessions started since the change: their content was not recorded.',
      'Find out who changed it and why; treat as defense evasion if unexplained.',
    ],
    references: [DISABLE_LOGS],
    role: 'preferences',
    routes: [PREFERENCES_ROUTE],
    match: (ev, facts) => {
      const c = change(ev, facts);
      return c && c.disabled.length > 0 ? { reasons: c.reasons, evidence: c.evidence } : undefined;
    },
    examples: {
      match: [
        'streaming switched off',
        'S3 logging removed',
        'encryption removed',
        'first sight, no log destination at all',
      ],
      noMatch: ['timeout changed only', 'encryption switched on'],
    },
  },
  {
    id: 'session-preferences-deleted',
    category: 'preferences-tampering',
    severity: 'CRITICAL',
    title: 'Session Manager preferences deleted',
    description:
      'The preferences document was deleted: Session Manager falls back to defaults, with no logging, streaming or encryption.',
    playbook: [
      'Recreate the preferences (redeploy the stack with managePreferences, or restore them by hand).',
      'List the sessions started since the deletion: their content was not recorded.',
    ],
    references: [DISABLE_LOGS],
    role: 'preferences',
    routes: [PREFERENCES_ROUTE],
    match: (ev) => {
      if (!isChange(ev) || ev.eventName !== 'DeleteDocument') return undefined;
      const name = ev.resourceName ?? 'a Session document';
      return {
        reasons: [`${name} deleted: sessions fall back to defaults without logging, streaming or encryption`],
        evidence: [{ kind: 'DOCUMENT', excerpt: name }],
      };
    },
    examples: {
      match: ['preferences document deleted'],
      noMatch: ['other document deleted'],
    },
  },
];
