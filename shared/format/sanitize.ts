/**
 * Helpers every renderer uses on finding fields. Fields can carry attacker-influenced text (a session
 * reason, a target name, a masked excerpt of terminal output), so renderers never trust them: control
 * and bidi characters go, long values are cut.
 */

// C0/C1 controls (ANSI, CR/LF, BEL, backspace) and bidi overrides that could fake lines or reorder text.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** One line of display text: unsafe characters become spaces, runs of blanks collapse. */
export function oneLine(value: string): string {
  return value.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

/** Cut to at most `max` characters (code points are not split), marking the cut with an ellipsis. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let cut = value.slice(0, Math.max(0, max - 1));
  // Do not leave half a surrogate pair at the end.
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** Single-line, bounded display value. */
export function field(value: string, max = 300): string {
  return truncate(oneLine(value), max);
}

/** Printable ASCII only (SNS subjects): accents are dropped, anything else becomes `?`. */
export function toAscii(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[–—]/g, '-')
    .replace(/[^\x20-\x7e]/g, '?');
}
