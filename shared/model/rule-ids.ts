/**
 * Rule ids the configuration may name (`severityOverrides`): the catalogue of shared/rules/index.ts.
 * A generated list, not an import of the rule files: those carry their matchers, which reach this
 * module again through the config module (evidence formatting, the PII rules read DEFAULT_CONFIG when
 * they load), so importing them from here is an import cycle that fails on load. `npm run rules:table`
 * rewrites the list; test/rules/catalogue.test.ts fails while it differs from the catalogue. PII rules
 * are the catalogue's `pii-<entity type>` ids, generated for any entity type (`ruleById`), so every id
 * of that form is one.
 */

// rule-ids:begin (npm run rules:table)
export const RULE_IDS: readonly string[] = [
  'session-start-shell',
  'session-start-command',
  'session-start-custom-document',
  'session-port-forward-local',
  'session-port-forward-sensitive-port',
  'session-port-forward-remote-host',
  'session-ssh-tunnel',
  'session-root-principal',
  'session-long-term-key-no-mfa',
  'session-access-denied',
  'session-access-denied-burst',
  'session-production-target',
  'session-untrusted-network',
  'session-off-hours',
  'session-missing-reason',
  'session-resumed-new-ip',
  'session-preferences-changed',
  'session-preferences-protection-disabled',
  'session-preferences-deleted',
  'monitor-cloudtrail-tampering',
  'monitor-resource-tampering',
  'cmd-reverse-shell',
  'cmd-imds-credentials',
  'cmd-imds-token',
  'cmd-shadow-read',
  'cmd-root-shell',
  'cmd-admin-group-add',
  'cmd-sudoers-tampering',
  'cmd-agent-stopped',
  'cmd-history-tampering',
  'cmd-ssh-key-persistence',
  'cmd-user-created',
  'cmd-exfiltration',
  'cmd-download-execute',
  'cmd-defense-evasion',
  'cmd-secret-file-read',
  'secret-private-key',
  'secret-github-token',
  'secret-gitlab-token',
  'secret-slack-webhook',
  'secret-slack-token',
  'secret-jwt',
  'secret-aws-session-token',
  'secret-aws-secret-key',
  'secret-aws-access-key',
  'secret-password-hash',
  'secret-password-cli',
  'secret-password-assignment',
  'scan-pii-unavailable',
  'scan-work-capped',
  'responder.session-terminated',
];
// rule-ids:end

const STATIC_IDS: ReadonlySet<string> = new Set(RULE_IDS);
const PII_ID = /^pii-[a-z0-9]+(?:-[a-z0-9]+){0,10}$/;

export function isRuleId(id: string): boolean {
  return STATIC_IDS.has(id) || (id.length <= 80 && PII_ID.test(id));
}
