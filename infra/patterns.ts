import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '#shared/metrics';
import type { Config } from '#shared/model/config';
import { type Category, SEVERITIES, type Severity, severityRank } from '#shared/model/finding';
import { FAMILIES } from '#shared/rules/families';
import type { ResourceKey, ResourceMatch, Route } from '#shared/rules/types';

/**
 * EventBridge patterns of the stack, as plain data so tests and the README can show them exactly.
 * All rules on the default bus match CloudTrail API calls, which EventBridge only receives while a
 * trail is logging.
 */
export type Pattern = Record<string, unknown>;

const API_CALL = 'AWS API Call via CloudTrail';

/** The preferences document every account uses unless a session document is named explicitly. */
export const PREFERENCES_DOCUMENT = 'SSM-SessionManagerRunShell';

/** One EventBridge rule on the default bus, delivering CloudTrail calls to session-events. */
export interface DetectionRule {
  /** Construct id, stable across deploys (a new id replaces the deployed rule). */
  id: string;
  /** Rule name after `${resourcePrefix}-`. */
  name: string;
  description: string;
  pattern: Pattern;
}

/** Calls of one service with one resource filter, merged from every catalogue rule that routes them. */
export interface RouteGroup {
  service: string;
  /** Deduplicated, in catalogue order. */
  eventNames: string[];
  /** The filter: only keys that name our resources some way (empty = every call). */
  resources: ResourceKey[];
  /** Categories of the rules that route these calls (for the rule's name). */
  categories: Set<Category>;
}

/** A route and the category of the rule declaring it. */
export interface DeclaredRoute {
  route: Route;
  category: Category;
}

/** Every route the catalogue declares. */
function catalogueRoutes(): DeclaredRoute[] {
  return FAMILIES.flatMap((f) =>
    f.rules.flatMap((rule) => (rule.routes ?? []).map((route) => ({ route, category: rule.category }))),
  );
}

/** A key per filter, whatever the order its keys or matches were declared in. */
function filterKey(resources: readonly ResourceKey[]): string {
  return JSON.stringify(
    resources
      .map((r) => [r.key, [...r.match].sort(), r.match.includes('arn') ? (r.arnResource ?? '') : ''])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

/**
 * The catalogue's routes merged per service and resource filter. A resource key without any match
 * filters nothing (it names the resource for classification only); a route without filtering keys
 * routes every call of its events, so a filtered route of the same call is dropped: EventBridge would
 * deliver the record once per matching rule, and classify it twice.
 */
export function routeGroups(routes: readonly DeclaredRoute[] = catalogueRoutes()): RouteGroup[] {
  const groups = mergedRoutes(routes);
  const everyCall = new Set(
    groups
      .filter((g) => g.resources.length === 0)
      .flatMap((g) => g.eventNames.map((n) => `${g.service}|${n}`)),
  );
  for (const g of groups) {
    if (g.resources.length > 0)
      g.eventNames = g.eventNames.filter((n) => !everyCall.has(`${g.service}|${n}`));
  }
  return groups.filter((g) => g.eventNames.length > 0);
}

function mergedRoutes(routes: readonly DeclaredRoute[]): RouteGroup[] {
  const groups = new Map<string, RouteGroup>();
  for (const { route, category } of routes) {
    const resources = (route.resources ?? []).filter((r) => r.match.length > 0);
    const key = `${route.service}|${filterKey(resources)}`;
    let group = groups.get(key);
    if (!group) {
      group = { service: route.service, eventNames: [], resources: [...resources], categories: new Set() };
      groups.set(key, group);
    }
    for (const name of route.eventNames) if (!group.eventNames.includes(name)) group.eventNames.push(name);
    group.categories.add(category);
  }
  return [...groups.values()];
}

/**
 * Name, construct id and description of a group's rule: the names deployed stacks already have
 * (`sessions`, `preferences`, `tampering-<service>`), so a deploy updates the rules in place.
 */
function describeGroup(g: RouteGroup): Omit<DetectionRule, 'pattern'> {
  if (g.resources.some((r) => r.match.includes('preferences-document')))
    return {
      id: 'Preferences',
      name: 'preferences',
      description: 'Changes to the Session Manager preferences documents',
    };
  if ([...g.categories].every((c) => c === 'monitor-tampering'))
    return {
      id: `Tampering-${g.service}`,
      name: `tampering-${g.service}`,
      description: `Tampering with the monitor: ${g.service}`,
    };
  if (g.service === 'ssm' && g.resources.length === 0)
    return { id: 'Sessions', name: 'sessions', description: `Session Manager ${g.eventNames.join('/')}` };
  return {
    id: `Calls-${g.service}`,
    name: `calls-${g.service}`,
    description: `CloudTrail calls: ${g.service}`,
  };
}

/**
 * The detection rules of the stack, generated from the catalogue's routes (shared/rules/families.ts),
 * so every call a rule classifies is routed and nothing routed is dropped. Calls on AWS's or anyone's
 * resources (sessions, trails) are routed whatever the resource; the others are scoped to our
 * resources by name prefix or ARN/URL wildcard, as precise as EventBridge patterns allow. KMS calls name
 * a key by id, ARN or alias, so the stack passes its key's id and ARN (`keyRefs`).
 */
export function detectionRules(
  config: Config,
  keyRefs: readonly unknown[] = [],
  groups: readonly RouteGroup[] = routeGroups(),
): DetectionRule[] {
  const out: DetectionRule[] = [];
  const taken = new Set<string>();
  for (const group of groups) {
    const named = describeGroup(group);
    // Two filters on one service make two rules: the second gets a numbered name.
    let n = 1;
    let { id, name } = named;
    while (taken.has(name)) {
      n += 1;
      id = `${named.id}-${n}`;
      name = `${named.name}-${n}`;
    }
    taken.add(name);
    const filters = group.resources.map((r) => ({
      [r.key]: resourceMatchers(group.service, r, config, keyRefs),
    }));
    const requestParameters =
      filters.length === 0 ? undefined : filters.length === 1 ? filters[0] : { $or: filters };
    out.push({ ...named, id, name, pattern: apiCall(group.service, group.eventNames, requestParameters) });
  }
  return out;
}

function apiCall(service: string, eventNames: string[], requestParameters?: unknown): Pattern {
  const detail: Record<string, unknown> = {
    eventSource: [`${service}.amazonaws.com`],
    eventName: eventNames,
  };
  if (requestParameters !== undefined) detail.requestParameters = requestParameters;
  return { source: [`aws.${service}`], 'detail-type': [API_CALL], detail };
}

/** Names of this stack's own log groups (Lambda logs, findings log, created session log group). */
export function ownLogGroupPrefixes(config: Config): Array<string | { prefix: string }> {
  const p = config.resourcePrefix;
  const own: Array<string | { prefix: string }> = [
    { prefix: `/aws/lambda/${p}-` },
    { prefix: `/aws/events/${p}-` },
    { prefix: `/${p}/` },
  ];
  const monitored = config.stack.sessionLogGroupName;
  if (monitored !== null) own.push(monitored);
  return own;
}

/** Name prefixes of the session preferences documents (the default one and the configured ones). */
export function preferencesDocuments(config: Config): string[] {
  return [...new Set([PREFERENCES_DOCUMENT, ...config.preferencesDocuments])].sort();
}

/** EventBridge matchers for one request parameter naming one of our resources (see `ResourceMatch`). */
function resourceMatchers(
  service: string,
  r: ResourceKey,
  config: Config,
  keyRefs: readonly unknown[],
): unknown[] {
  const p = config.resourcePrefix;
  // KMS takes alias names (not alias ARNs) in aliasName, and key ids or ARNs (not aliases) in keyId of
  // the calls we route; the alias prefix on keyId is kept for callers that pass one anyway.
  const alias = [{ prefix: `alias/${p}` }];
  // A record keyed by every ResourceMatch: a new kind of match does not compile until it routes.
  const byMatch: Record<ResourceMatch, () => unknown[]> = {
    name: () => [{ prefix: `${p}-` }],
    arn: () => [{ wildcard: `arn:*:${service}:*:*:${r.arnResource ?? ''}${p}-*` }],
    url: () => [{ wildcard: `*/${p}-*` }],
    'log-group': () => ownLogGroupPrefixes(config),
    key: () => [...keyRefs, ...alias],
    alias: () => alias,
    'preferences-document': () => preferencesDocuments(config).map((n) => ({ prefix: n })),
    'session-document': () => ['Session'],
    // The API takes `all` in any case (the documentation writes `All`).
    'all-accounts': () => [{ 'equals-ignore-case': 'all' }],
  };
  return r.match.flatMap((m) => byMatch[m]());
}

/** Every finding on the findings bus. */
export function findingsPattern(): Pattern {
  return { source: [FINDING_SOURCE], 'detail-type': [FINDING_DETAIL_TYPE] };
}

/** Severities at or above `min`, for severity-filtered rules and subscriptions. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.filter((s) => severityRank(s) >= severityRank(min));
}

/** What the responder may act on: findings about a session at or above autoTerminate.minSeverity. */
export function responderPattern(config: Config): Pattern {
  return {
    ...findingsPattern(),
    detail: {
      severity: severitiesAtLeast(config.autoTerminate.minSeverity),
      sessionId: [{ exists: true }],
    },
  };
}
