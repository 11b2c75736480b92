/** Public API of CloudTrail session classification. */
export { classifyEvent, classifyRecord } from './classify';
export { isOffHours, localTime } from './hours';
export { baseEventName, hasPrefix, MONITOR_APIS, type MonitorApi, monitorApi } from './monitor';
export { CidrMatcher, parseAddress } from './network';
export {
  isServiceSource,
  mayConcernSessions,
  normalise,
  PREFERENCES_DOCUMENT_PREFIX,
  PREFERENCES_EVENTS,
  principalOf,
} from './normalise';
export { normaliseTime, type ParseResult, parseRecord, unwrapEnvelope } from './parse';
export {
  diffPreferences,
  digestPreferences,
  type PreferenceChange,
  type PreferencesDiff,
  type Protection,
  preferenceInputs,
} from './preferences';
export type {
  CallerClient,
  ClassifyContext,
  ClassifyResult,
  PreferencesSource,
  SessionAction,
  SessionEvent,
  SessionKind,
  SessionPrincipal,
} from './types';
