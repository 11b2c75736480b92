import type { Category, Severity } from '../model/finding';

/**
 * The one rule shape of every family (session, monitor, preferences, command, secret, PII, system):
 * metadata, the matcher and positive and negative examples, side by side in the family's file under
 * `shared/rules/`. Each family file also exports a `RuleFamily`, which says how its matcher is run on
 * one example, so a single test (test/rules/catalogue.test.ts) walks the whole catalogue. Adding a rule
 * touches this folder only; CloudTrail rules also declare what EventBridge must route to them (`routes`),
 * and the stack's patterns are generated from those declarations (infra/patterns.ts).
 */
export interface RuleMeta {
  /** Stable id, kebab-case, e.g. `session-port-forward-remote-host` or `cmd-reverse-shell`. */
  id: string;
  category: Category;
  severity: Severity;
  /** Short human title used in alerts. */
  title: string;
  /** Why it matters, one or two sentences. */
  description: string;
  /** Triage steps for the responder, in order. */
  playbook: string[];
  /** Public references (MITRE ATT&CK technique pages, AWS docs). */
  references?: string[];
  /**
   * May this finding end its session under autoTerminate (an act, not context)? Absent: its category's
   * default (shared/rules/policy.ts `isTerminable`).
   */
  terminable?: boolean;
}

/** Inputs the rule must fire on (`match`) and must stay quiet on (`noMatch`): at least one of each. */
export interface Examples<E> {
  match: readonly E[];
  noMatch: readonly E[];
}

/** A rule of the catalogue: metadata plus examples of type `E` (the matcher's type is the family's). */
export interface CatalogueRule<E = unknown> extends RuleMeta {
  examples: Examples<E>;
  /** CloudTrail rules: the calls EventBridge must deliver for the rule to see them. */
  routes?: readonly Route[];
}

/** How one family runs its matcher on one example, for the catalogue test and `ssm-sentinel rules`. */
export interface RuleFamily<R extends CatalogueRule<E>, E = R['examples']['match'][number]> {
  name: 'session' | 'monitor' | 'preferences' | 'command' | 'secret' | 'pii' | 'system';
  rules: readonly R[];
  /** True when `rule` fires on `example`, run the way the engine runs it. */
  fires(rule: R, example: E): boolean | Promise<boolean>;
}

/**
 * How a request parameter names one of our resources, for routing (`p` = resourcePrefix):
 * - `name`: `${p}-…`
 * - `arn`: `arn:*:<service>:*:*:<arnResource>${p}-*`
 * - `url`: `*\/${p}-*` (SQS queue URLs)
 * - `log-group`: one of the stack's own log groups (Lambda logs, findings log, the session log group)
 * - `key`: the stack key's id or ARN (refs the stack passes), or `alias/${p}…`
 * - `alias`: `alias/${p}…`
 * - `preferences-document`: the session preferences documents (`SSM-SessionManagerRunShell` and
 *   `config.preferencesDocuments`), by name prefix
 * - `session-document`: the value `Session` (a document's type: any Session document may carry preferences)
 * - `all-accounts`: the value `all` (a document shared with every AWS account)
 * Few wildcards on purpose: EventBridge rejects patterns past a complexity limit.
 */
export type ResourceMatch =
  | 'name'
  | 'arn'
  | 'url'
  | 'log-group'
  | 'key'
  | 'alias'
  | 'preferences-document'
  | 'session-document'
  | 'all-accounts';

export interface ResourceKey {
  /** requestParameters member naming the affected resource (name, ARN, URL or key id). */
  key: string;
  match: readonly ResourceMatch[];
  /** For `arn`: the resource part before our name (`function:`, `table/`, `event-bus/`, or ''). */
  arnResource?: string;
}

/** CloudTrail calls a rule needs delivered (EventBridge "AWS API Call via CloudTrail"). */
export interface Route {
  /** `ssm` → eventSource `ssm.amazonaws.com`, EventBridge source `aws.ssm`. */
  service: string;
  /** eventName values exactly as CloudTrail writes them. */
  eventNames: readonly string[];
  /** Only calls whose request names one of these resources; absent or empty = every call. */
  resources?: readonly ResourceKey[];
}
