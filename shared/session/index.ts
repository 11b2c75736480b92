/** Public API of CloudTrail session classification. */
export {
  PREFERENCES_CALLS,
  PREFERENCES_ROUTE,
  READ_ONLY_SESSION_CALLS,
  SESSION_CALLS,
  SESSION_ROUTE,
} from './apis';
export { classifyEvent, factsFor, readRecord } from './classify';
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
  Classified,
  ClassifyContext,
  ClassifyResult,
  CloudTrailExample,
  CloudTrailRule,
  FactQuery,
  Facts,
  Hit,
  PreferencesSource,
  RuleRole,
  SessionAction,
  SessionEvent,
  SessionKind,
  SessionPrincipal,
  StateWrite,
} from './types';
