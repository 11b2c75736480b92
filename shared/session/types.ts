import type { Config } from '../model/config';
import type { Finding } from '../model/finding';
import type { PreferencesStore, SessionStore, TargetTagSource, WindowStore } from '../state/types';

/** Old/new session preferences around a preferences-document change (content is redacted in CloudTrail). */
export interface PreferencesSource {
  /** Current content of a Session document (GetDocument in the Lambda). undefined = unknown. */
  current(documentName: string): Promise<Record<string, unknown> | undefined>;
}

export interface ClassifyContext {
  config: Config;
  sessions: SessionStore;
  windows: WindowStore;
  tags: TargetTagSource;
  /** Optional: without it a preferences change stays HIGH (content unknown). */
  preferences?: { source: PreferencesSource; store: PreferencesStore };
}

export interface ClassifyResult {
  findings: Finding[];
  /** Set when the record could not be used: a one-line reason. */
  error?: string;
}
