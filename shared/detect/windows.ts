/**
 * Per-line work cap of the text detectors: a text longer than {@link WINDOW_CHARS} is scanned in
 * overlapping windows, so whatever a pattern costs on one window, a line costs time linear in its
 * length. Nothing is skipped: every character is in some window's own region.
 *
 * Window k owns the match starts in [a, a + STRIDE) and reads [a − CONTEXT, a + STRIDE + OVERLAP):
 * - a match that starts in its own region and is at most OVERLAP long is inside the window whole,
 *   and only its owner reports it, so a value crossing a boundary is found exactly once;
 * - CONTEXT characters before the region give lookbehinds (`(?<![A-Za-z0-9])`, a `KEY=` name of up
 *   to 64 characters) the same view as on the whole line; a `^` at the window start is never owned;
 * - a single value longer than OVERLAP that crosses the end of its owner's window is reported once,
 *   cut at that end (a masked excerpt of it looks the same).
 */

export const WINDOW_CHARS = 64 * 1024;
/** Longest value guaranteed whole across a window boundary (session tokens, JWTs, key bodies). */
export const WINDOW_OVERLAP = 4 * 1024;
/** Left context every window reads before its own region. */
export const WINDOW_CONTEXT = 256;
const STRIDE = WINDOW_CHARS - WINDOW_OVERLAP - WINDOW_CONTEXT;

export interface Span {
  start: number;
  end: number;
}

/**
 * `find` over `text`, whole when short, else window by window; offsets of the matches are those of
 * `text`. `find` must return matches in start order with offsets into the piece it was given.
 */
export function findWindowed<T extends Span>(text: string, find: (piece: string) => T[]): T[] {
  if (text.length <= WINDOW_CHARS) return find(text);
  const out: T[] = [];
  for (let own = 0; own < text.length; own += STRIDE) {
    const from = Math.max(0, own - WINDOW_CONTEXT);
    const ownEnd = own + STRIDE;
    const to = Math.min(text.length, ownEnd + WINDOW_OVERLAP);
    for (const m of find(text.slice(from, to))) {
      const start = m.start + from;
      if (start < own || (start >= ownEnd && to < text.length)) continue;
      m.start = start;
      m.end += from;
      out.push(m);
    }
    // The window that reaches the end owns every start after its region too.
    if (to === text.length) break;
  }
  return out;
}
