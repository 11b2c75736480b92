import type { Config } from '#shared/model/config';

/** The Session Manager preferences document (schema of SSM-SessionManagerRunShell). */
export interface PreferencesDocument {
  schemaVersion: '1.0';
  description: string;
  sessionType: 'Standard_Stream';
  inputs: {
    s3BucketName: string;
    s3KeyPrefix: string;
    s3EncryptionEnabled: boolean;
    cloudWatchLogGroupName: string;
    cloudWatchEncryptionEnabled: boolean;
    cloudWatchStreamingEnabled: boolean;
    idleSessionTimeout: string;
    maxSessionDuration: string;
    kmsKeyId: string;
    runAsEnabled: boolean;
    runAsDefaultUser: string;
    shellProfile: { windows: string; linux: string };
  };
}

/**
 * Preferences that stream every shell session to the monitored group. `cloudWatchEncryptionEnabled`
 * makes the agent refuse an unencrypted group, so it is set for the group the stack creates (always
 * encrypted) and for an existing group only when `groupEncrypted` says it is. `kmsKeyId` (encryption of the session channel) stays
 * empty: setting it would require every user who starts a session to hold kms:GenerateDataKey.
 */
export function preferencesDocument(
  config: Config,
  logGroupName: string,
  groupEncrypted: boolean,
): PreferencesDocument {
  const { idleSessionTimeoutMinutes, maxSessionDurationMinutes, runAsUser } = config.stack;
  return {
    schemaVersion: '1.0',
    description: 'Session Manager preferences managed by ssm-sentinel',
    sessionType: 'Standard_Stream',
    inputs: {
      s3BucketName: '',
      s3KeyPrefix: '',
      s3EncryptionEnabled: true,
      cloudWatchLogGroupName: logGroupName,
      cloudWatchEncryptionEnabled: groupEncrypted,
      cloudWatchStreamingEnabled: true,
      idleSessionTimeout: String(idleSessionTimeoutMinutes),
      maxSessionDuration: String(maxSessionDurationMinutes),
      kmsKeyId: '',
      runAsEnabled: runAsUser !== null,
      runAsDefaultUser: runAsUser ?? '',
      shellProfile: { windows: '', linux: '' },
    },
  };
}
