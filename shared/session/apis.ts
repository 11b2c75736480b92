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

/** Run Command and the Automation start: code run on instances by API (successful or denied). */
export const COMMAND_CALLS = ['SendCommand', 'StartAutomationExecution'] as const;

/** What the Run Command rules need routed: every command and automation start. */
export const COMMAND_ROUTE: Route = { service: 'ssm', eventNames: COMMAND_CALLS };

/** Calls that create or change a document's content or default version (document abuse). */
export const DOCUMENT_CALLS = ['CreateDocument', 'UpdateDocument', 'UpdateDocumentDefaultVersion'] as const;

/**
 * Document types whose content runs on instances: a new or changed one is document abuse. Session
 * documents are not here: any of them may carry preferences, and the preferences family diffs them.
 */
export const RUNNABLE_DOCUMENT_TYPES = ['Command', 'Automation'] as const;

/**
 * What the document rules need routed: every creation and update. Neither filters on the type: an
 * update does not name it (classified from the response), and CreateDocument without `documentType`
 * creates a Command document. Both are rare administrative calls.
 */
export const DOCUMENT_ROUTE: Route = { service: 'ssm', eventNames: DOCUMENT_CALLS };

/** Sharing a document: only sharing with every account (`all`) is routed. */
export const SHARE_ROUTE: Route = {
  service: 'ssm',
  eventNames: ['ModifyDocumentPermission'],
  resources: [{ key: 'accountIdsToAdd', match: ['all-accounts'] }],
};

/** Fleet Manager remote desktop: GUI Connect starts an RDP connection. */
export const GUI_CONNECT_SOURCE = 'ssm-guiconnect.amazonaws.com';
export const RDP_ROUTE: Route = { service: 'ssm-guiconnect', eventNames: ['StartConnection'] };
