import type { Category, Severity } from '../model/finding';

/**
 * A detection rule is data: identity, default severity, what it means and what to do.
 * Matching logic lives next to it (session rules in `shared/session/`, transcript detectors in
 * `shared/transcript/`); positive and negative fixtures live in `test/rules/fixtures/<id>.json`.
 */
export interface RuleMeta {
  /** Stable id, kebab-case, e.g. `ct-port-forward-remote-host` or `cmd-reverse-shell`. */
  id: string;
  category: Category;
  severity: Severity;
  /** Short human title used in alerts. */
  title: string;
  /** Why it matters, one or two sentences. */
  description: string;
  /** Triage steps for the responder, in order. */
  playbook: string[];
  /** Public references (ATT&CK technique, AWS docs). */
  references?: string[];
}
