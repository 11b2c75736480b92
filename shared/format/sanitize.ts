/**
 * Helpers every renderer uses on finding fields. Fields can carry attacker-influenced text (a session
 * reason, a target name, a role-session name, a masked excerpt of terminal output), so renderers never
 * trust them: invisible and control characters go, long values are cut.
 */

/**
 * Characters that can rewrite a terminal, fake lines, reorder or hide text: C0/C1 controls and DEL
 * (ANSI escapes, CR/LF, BEL, backspace), the soft hyphen, the Arabic letter mark, the Mongolian vowel
 * separator, zero-width and bidi marks/overrides/isolates (U+200B–U+200F, U+202A–U+202E,
 * U+2066–U+2069), line/paragraph separators, invisible operators and deprecated format characters
 * (U+2060–U+206F), the BOM, interlinear annotations, Unicode tag characters (invisible "ASCII
 * smuggling") and, with the `u` flag, any lone surrogate (paired surrogates form one code point
 * outside U+D800–U+DFFF and are kept). One character class: a linear pass.
 */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}\ud800-\udfff]/gu;

/** Work on at most this many characters per output character: bounds the cost of a huge value. */
const SCAN_FACTOR = 4;

/** One line of display text: unsafe characters become spaces, runs of blanks collapse. */
export function oneLine(value: string): string {
  if (typeof value !== 'string') return '';
  return value.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

/** Cut to at most `max` characters (code points are not split), marking the cut with an ellipsis. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${cutAt(value, Math.max(0, max - 1))}…`;
}

/**
 * {@link truncate} for an optional raw value, to bound its size before it is parsed or stored; it
 * does not sanitise (a value to show goes through {@link field}). Undefined stays undefined.
 */
export function clip(value: string, max: number): string;
export function clip(value: string | undefined, max: number): string | undefined;
export function clip(value: string | undefined, max: number): string | undefined {
  return value === undefined ? undefined : truncate(value, max);
}

/** The first `n` UTF-16 units of `value`, one fewer if that would leave half a surrogate pair. */
function cutAt(value: string, n: number): string {
  const last = value.charCodeAt(n - 1);
  return last >= 0xd800 && last <= 0xdbff ? value.slice(0, n - 1) : value.slice(0, n);
}

/**
 * Single-line, bounded display value: the one sanitiser for every printable attacker-influenced
 * field. Only the first `4 × max` characters are looked at, so a huge value costs no more than a
 * short one; a value cut that way still ends in an ellipsis.
 */
export function field(value: string, max = 300): string {
  if (typeof value !== 'string') return '';
  const limit = SCAN_FACTOR * max + 16;
  if (value.length <= limit) return truncate(oneLine(value), max);
  const line = oneLine(cutAt(value, limit));
  return `${cutAt(line, Math.max(0, Math.min(line.length, max - 1)))}…`;
}

/** Printable ASCII only (SNS subjects): accents are dropped, anything else becomes `?`. */
export function toAscii(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[–—]/g, '-')
    .replace(/[^\x20-\x7e]/g, '?');
}
