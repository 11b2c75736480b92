import { MONITOR_APIS } from '../session/monitor';
import type { RuleMeta } from './types';

const SERVICE_NAMES: Readonly<Record<string, string>> = {
  events: 'EventBridge',
  logs: 'CloudWatch Logs',
  lambda: 'Lambda',
  sns: 'SNS',
  dynamodb: 'DynamoDB',
  sqs: 'SQS (dead-letter queues)',
  kms: 'KMS (the stack key)',
};

/** The monitored calls of monitor-resource-tampering, from the one catalogue that also routes them. */
const MONITORED_RESOURCE_APIS = `A call deleted, disabled or redirected one of ssm-sentinel's own resources (named with resourcePrefix, or the stack's KMS key): ${Object.values(
  MONITOR_APIS,
)
  .filter((api) => !api.anyResource)
  .map((api) => `${SERVICE_NAMES[api.service] ?? api.service} ${[...api.events].join(', ')}`)
  .join(
    '; ',
  )}. Configuration changes made by CloudFormation (deploys) are skipped, deletions are not; a failed attempt is reported one step lower.`;

/**
 * Rules over CloudTrail session events. Matching lives in `shared/session/classify.ts`; positive and
 * negative cases in `test/rules/fixtures/<id>.json`. Each StartSession yields one primary finding
 * (privileged principal, else its kind) raised one step per context signal; context rules also emit
 * their own finding at their own severity so every category stays queryable.
 */

const SSM_AUDIT =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-auditing.html';
const PORT_FWD =
  'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-sessions-start.html';
const CONFIRM_WITH_OWNER = 'Confirm with the principal (or their manager) that the session was intended.';
const CHECK_ACTIVE =
  'Check whether the session is still active (Session Manager › Session history, or DescribeSessions) and terminate it if unexpected.';

export const SESSION_RULES: RuleMeta[] = [
  {
    id: 'session-start-shell',
    category: 'session-start',
    severity: 'INFORMATIONAL',
    title: 'Interactive shell session started',
    description:
      'A Session Manager shell session (default SSM-SessionManagerRunShell) was started. Informational on its own; production target, untrusted network, off-hours, missing reason or missing MFA raise it one step each.',
    playbook: [
      'Read the reasons: each one raised the severity by a step.',
      'Review the session transcript findings for the same session id.',
      CONFIRM_WITH_OWNER,
    ],
    references: [SSM_AUDIT],
  },
  {
    id: 'session-start-command',
    category: 'session-start',
    severity: 'INFORMATIONAL',
    title: 'Command session started',
    description:
      'A session ran a command through AWS-StartInteractiveCommand or AWS-StartNonInteractiveCommand. Its output is logged like a shell.',
    playbook: [
      'Look up the command in the document parameters (requestParameters.parameters.command) in CloudTrail.',
      CONFIRM_WITH_OWNER,
    ],
    references: [SSM_AUDIT],
  },
  {
    id: 'session-start-custom-document',
    category: 'session-start',
    severity: 'LOW',
    title: 'Session started with a custom document',
    description:
      'A session used a document that is not one of the AWS session documents. What runs, and whether it is logged, depends on that document (it may forward ports or override logging).',
    playbook: [
      'Open the document (SSM › Documents) and check its sessionType and inputs.',
      'Verify who may use and change the document.',
      CONFIRM_WITH_OWNER,
    ],
    references: [PORT_FWD],
  },
  {
    id: 'session-port-forward-local',
    category: 'port-forwarding',
    severity: 'MEDIUM',
    title: 'Port forwarding session to the target',
    description:
      'AWS-StartPortForwardingSession opened a tunnel to a port on the target. Port-forwarding sessions have no transcript by design: nothing sent through the tunnel is logged.',
    playbook: [
      'Identify the service on the forwarded port of the target.',
      'Check the service own access logs for the session period: Session Manager logged nothing.',
      CONFIRM_WITH_OWNER,
    ],
    references: [PORT_FWD],
  },
  {
    id: 'session-port-forward-sensitive-port',
    category: 'port-forwarding',
    severity: 'HIGH',
    title: 'Port forwarding to a sensitive port',
    description:
      'A port-forwarding session reached a port listed in sensitivePorts (databases, RDP, SSH, caches). No transcript by design: data moved through the tunnel is invisible to Session Manager logging.',
    playbook: [
      'Check the database / service audit log for queries and logins during the session.',
      'Verify the principal is allowed direct access to that service.',
      CHECK_ACTIVE,
    ],
    references: [PORT_FWD],
  },
  {
    id: 'session-port-forward-remote-host',
    category: 'port-forwarding',
    severity: 'HIGH',
    title: 'Port forwarding through the target to a remote host',
    description:
      'AWS-StartPortForwardingSessionToRemoteHost used the target as a jump host to another host (often a database or internal endpoint). No transcript by design, and the remote host never sees the principal.',
    playbook: [
      'Identify the remote host and port (evidence HOST / PORT) and who owns them.',
      'Check the remote service access logs: the connection appears to come from the target instance.',
      CHECK_ACTIVE,
    ],
    references: [PORT_FWD],
  },
  {
    id: 'session-ssh-tunnel',
    category: 'ssh-tunnel',
    severity: 'MEDIUM',
    title: 'SSH over Session Manager',
    description:
      'AWS-StartSSHSession carried an SSH connection. SSH sessions are never logged by Session Manager (encrypted end to end) and allow scp and further tunnels.',
    playbook: [
      'Check the instance auth log (/var/log/secure or auth.log) for the SSH login and the key used.',
      'Ask why a logged shell session was not enough.',
      CHECK_ACTIVE,
    ],
    references: [PORT_FWD],
  },
  {
    id: 'session-root-principal',
    category: 'privileged-principal',
    severity: 'CRITICAL',
    title: 'Session started by the account root user',
    description:
      'The root user called a Session Manager API. Root should never be used for day-to-day access; it bypasses every IAM boundary.',
    playbook: [
      'Confirm immediately with the account owner that root was used on purpose (break-glass).',
      'Review root sign-in events (ConsoleLogin) and root access keys; rotate root credentials if unexpected.',
      CHECK_ACTIVE,
    ],
    references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/root-user-best-practices.html'],
  },
  {
    id: 'session-long-term-key-no-mfa',
    category: 'privileged-principal',
    severity: 'HIGH',
    title: 'Session started with a long-term access key without MFA',
    description:
      'An IAM user started or resumed a session with a long-term access key (AKIA…) and no MFA. A leaked key alone is enough to reach the instance.',
    playbook: [
      'Check where the access key was used recently (IAM › Access key last used, CloudTrail by accessKeyId).',
      'Deactivate and rotate the key if the use is unexpected; move the user to SSO / role sessions with MFA.',
      CHECK_ACTIVE,
    ],
    references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html'],
  },
  {
    id: 'session-access-denied',
    category: 'access-denied',
    severity: 'MEDIUM',
    title: 'Denied Session Manager call',
    description:
      'A Session Manager API call (start, resume, terminate, describe, preferences change) failed with AccessDenied or UnauthorizedOperation: someone tried to reach an instance or change session settings without permission.',
    playbook: [
      'Check whether the principal should have access (misconfiguration) or is probing.',
      'Look for other denied calls by the same principal across services.',
    ],
  },
  {
    id: 'session-access-denied-burst',
    category: 'access-denied',
    severity: 'HIGH',
    title: 'Burst of denied Session Manager calls',
    description:
      'One principal collected accessDenied.burstThreshold denied Session Manager calls within accessDenied.windowMinutes: typical of credential misuse or target enumeration.',
    playbook: [
      'List the denied targets and calls of the principal in the window.',
      'If the credentials may be compromised, revoke the sessions of the role / deactivate the key.',
    ],
  },
  {
    id: 'session-production-target',
    category: 'production-target',
    severity: 'LOW',
    title: 'Session on a production target',
    description:
      'The target carries a tag listed in productionTags (values compared case-insensitively). Raises the session finding one step.',
    playbook: ['Check the change record or ticket for production access.', CONFIRM_WITH_OWNER],
  },
  {
    id: 'session-untrusted-network',
    category: 'untrusted-network',
    severity: 'MEDIUM',
    title: 'Session call from an untrusted network',
    description:
      'The source IP address (IPv4 or IPv6) is outside every trustedCidrs range (checked only when trustedCidrs is set). AWS service callers (*.amazonaws.com, AWS Internal) are not network addresses and are skipped.',
    playbook: [
      'Look up the source IP (owner, geolocation) and compare with where the principal usually works.',
      'If unexpected, treat the credentials as compromised.',
      CHECK_ACTIVE,
    ],
  },
  {
    id: 'session-off-hours',
    category: 'off-hours',
    severity: 'LOW',
    title: 'Session outside business hours',
    description:
      'The session started outside businessHours (days and start–end in its IANA time zone). Off when businessHours is null.',
    playbook: ['Check on-call or incident records for the time.', CONFIRM_WITH_OWNER],
  },
  {
    id: 'session-missing-reason',
    category: 'missing-reason',
    severity: 'MEDIUM',
    title: 'Production session without a reason',
    description:
      'A session to a production target gave no reason although requireReasonOnProduction is on (StartSession accepts a reason of 1–256 characters).',
    playbook: [
      'Ask the principal for the reason and record it.',
      'Remind the team to pass --reason for production.',
    ],
  },
  {
    id: 'session-resumed-new-ip',
    category: 'session-resumed',
    severity: 'MEDIUM',
    title: 'Session resumed from a different IP address',
    description:
      'ResumeSession came from another source IP than the StartSession of the same session. A network change explains it; so does a stolen session token.',
    playbook: [
      'Compare the two source IPs (owner, location) and the user agents.',
      'If the new address is unexpected, terminate the session and revoke the principal sessions.',
    ],
  },
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
    ],
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
    references: ['https://attack.mitre.org/techniques/T1562/008/'],
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
    references: ['https://attack.mitre.org/techniques/T1562/008/'],
  },
  {
    id: 'monitor-cloudtrail-tampering',
    category: 'monitor-tampering',
    severity: 'CRITICAL',
    title: 'CloudTrail logging stopped or changed',
    description:
      'StopLogging, DeleteTrail, UpdateTrail or PutEventSelectors on any trail. EventBridge receives the session events only while a trail is logging, so this can blind ssm-sentinel. UpdateTrail / PutEventSelectors made by CloudFormation are deploys and skipped; a failed attempt is reported one step lower.',
    playbook: [
      'Check that a multi-region trail still logs management events (CloudTrail › Trails, GetTrailStatus).',
      'Restore the trail; review what happened while it was off.',
      'Find out who did it; treat as defense evasion if unexplained.',
    ],
    references: ['https://attack.mitre.org/techniques/T1562/008/'],
  },
  {
    id: 'monitor-resource-tampering',
    category: 'monitor-tampering',
    severity: 'CRITICAL',
    title: "ssm-sentinel's own resources deleted or disabled",
    description: MONITORED_RESOURCE_APIS,
    playbook: [
      'Check the named resource: does the pipeline still deliver (EventBridge rule enabled, subscription filter present, function healthy)?',
      'Redeploy the stack to restore it.',
      'Find out who did it; treat as defense evasion if unexplained.',
    ],
    references: ['https://attack.mitre.org/techniques/T1562/'],
  },
];

export const SESSION_RULES_BY_ID: ReadonlyMap<string, RuleMeta> = new Map(
  SESSION_RULES.map((r) => [r.id, r]),
);
