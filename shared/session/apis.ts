import type { Route } from '../rules/types';

/**
 * The Systems Manager calls session classification handles, in one place: the rules' routes
 * (shared/rules/) are built from these lists and normalise.ts classifies from them, so what is routed
 * and what is classified cannot drift. Monitor tampering has its own catalogue (monitor.ts).
 */

/** Session lifecycle calls, routed to session-events successful or denied. */
export const SESSION_CALLS = ['StartSession', 'ResumeSession', 'TerminateSession'] as const;

/**
 * Read-only session calls: only their denied attempts matter (reconnaissance). Classified in a replayed
 * trail; not routed, since every console page view makes them.
 */
export const READ_ONLY_SESSION_CALLS = ['DescribeSessions', 'GetConnectionStatus'] as const;

/** Calls that create, change or delete a Session document: the preferences. */
export const PREFERENCES_CALLS = [
  'CreateDocument',
  'UpdateDocument',
  'UpdateDocumentDefaultVersion',
  'DeleteDocument',
] as const;

/** The Session Manager preferences document (and its per-Region variants sharing the prefix). */
export const PREFERENCES_DOCUMENT_PREFIX = 'SSM-SessionManagerRunShell';

/** What the session rules need routed: the lifecycle calls, successful or denied. */
export const SESSION_ROUTE: Route = { service: 'ssm', eventNames: SESSION_CALLS };

/**
 * What the preferences rules need routed: changes to the preferences documents, by name, and the
 * creation of any Session document (CreateDocument names its type in the request).
 */
export const PREFERENCES_ROUTE: Route = {
  service: 'ssm',
  eventNames: PREFERENCES_CALLS,
  resources: [
    { key: 'name', match: ['preferences-document'] },
    { key: 'documentType', match: ['session-document'] },
  ],
};
