import type { SecretKind } from '../rules/secret-rules';

/**
 * What a secret rule's matcher is made of (shared/rules/secret-rules.ts), and the pattern pieces the
 * rules share. The engine that runs them is shared/detect/secrets.ts.
 */

/** A secret found in one piece of text. `value` is internal: mask it before it goes anywhere. */
export interface SecretMatch {
  ruleId: string;
  kind: SecretKind;
  start: number;
  end: number;
  value: string;
}

/** One regex of a rule. */
export interface SecretPattern {
  /**
   * Lower-case substrings, one of which must be present (case-insensitively) wherever `re` matches:
   * the prefilter runs `re` only on texts holding one. As specific as the pattern allows: a hint
   * found on most lines (`$`, `--`, `gh`) gates nothing.
   */
  hint: readonly string[];
  /** Global + `d` (indices) regex, linear; the value is the named group `v` (or `q1`, `q2`), or the whole match. */
  re: RegExp;
  /** Checks a value beyond its shape (checksum, character mix); false drops it. */
  valid?: (value: string) => boolean;
}

/** The transcript line a context step sees. */
export interface ContextLine {
  n: number;
  text: string;
}

/** What a context step keeps and finds on one line. */
export interface ContextStep {
  /** The memo to keep for the next lines (undefined: none). */
  memo: unknown;
  /** A value of the rule that only the context reveals on this line. */
  value?: string;
}

/**
 * Context of a rule across lines (a PEM block, a key id shown on an earlier line), kept in the
 * detector state under `memo`, which carries it from one delivery to the next (as JSON).
 */
export interface SecretContext {
  memo: string;
  /** Whether a memo read back from the store has the shape `step` writes: any other is dropped. */
  holds(memo: unknown): boolean;
  /**
   * One line, after its own matches (`matches`: those of the shown text, in start order); run only
   * when the line has a match or the memo is set.
   */
  step(line: ContextLine, matches: readonly SecretMatch[], memo: unknown): ContextStep;
}

/**
 * Values of a rule found next to another rule's match in the same text (a secret right after a key
 * id): `add` reports one, and it wins every overlap.
 */
export type SecretBeside = (
  text: string,
  matches: readonly SecretMatch[],
  add: (start: number, end: number) => void,
) => void;

export const B64 = 'A-Za-z0-9/+';
/** A quoted or bare argument, as a shell would split it. */
export const ARG = `'(?<q1>[^']+)'|"(?<q2>[^"]+)"|(?<v>[^\\s'"]+)`;
/**
 * Between a label and its value: `=` or `:` with optional blanks, or blanks alone. Written without
 * the overlap of `\s*(?:[:=]|\s)\s*`, which tried every split of a long blank run (quadratic).
 */
export const LABEL_SEP = '(?:\\s*[:=]\\s*|\\s+)';

/**
 * Same-command scope after a tool's name: stop at pipes, separators, line ends, and at the next
 * occurrence of the same name. A match that crossed a later name is found again from that name with
 * the same value (the flag always starts with a blank or a dash, never inside a name), so stopping
 * there changes no result but makes the scan linear: a line of `curl curl curl …` used to rescan the
 * rest of the line from every name.
 */
export const sameCommand = (tool: string): string => `(?:(?!${tool})[^|;&\\n])*?`;

/** `tool`, then anything in the same command, then `flag` (which starts with a blank). */
export const toolFlag = (tool: string, flag: string, flags: string): RegExp =>
  new RegExp(`${tool}${sameCommand(tool)}${flag}`, flags);

/** Placeholders, variables, booleans, paths and masked values are not passwords (weak real ones are). */
export function isPlaceholder(v: string): boolean {
  const s = v.trim();
  if (s.length < 3) return true;
  if (/^[$%<{[]|^\/|^\.\.?\//.test(s)) return true;
  if (/^(.)\1*$/.test(s)) return true;
  if (/^\*+.{0,4}$/.test(s)) return true;
  return (
    /^(null|none|nil|true|false|undefined|empty|redacted|hidden|masked|required|optional|string|xxx+|\.\.\.|your[-_]?\w*|example|prompt|stdin)$/i.test(
      s,
    ) || /hidden|redacted/i.test(s)
  );
}
