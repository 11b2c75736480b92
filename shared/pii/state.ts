import { createHash } from 'node:crypto';
import type { DetectorState } from '../transcript/types';
import type { ScanText } from './pack';

/**
 * What the Comprehend scanner remembers per session (JSON, stored with the transcript carry-over):
 * hashes of texts already scanned, bounded (`top` and `watch` redraw the same lines for hours), and
 * text held back until there is enough to fill the 3-unit minimum of a request.
 */
export interface PiiMemo {
  /** Oldest first; trimmed from the front. */
  seen: string[];
  pending: ScanText[];
  /** Clock (ms) when the oldest pending text was held back. */
  pendingSince?: number;
}

const KEY = 'comprehend';

/** 72-bit digest: collisions within one session's few thousand lines are negligible, and it is short in storage. */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 12);
}

/** A copy of the memo in `state`, tolerant of anything stored there (old versions, hand edits). */
export function readMemo(state: DetectorState): PiiMemo {
  const raw = state[KEY];
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const seen = Array.isArray(o.seen) ? o.seen.filter((h): h is string => typeof h === 'string') : [];
  const pending = Array.isArray(o.pending)
    ? o.pending.filter(
        (p): p is ScanText =>
          typeof p === 'object' && p !== null && typeof p.line === 'number' && typeof p.text === 'string',
      )
    : [];
  const since =
    typeof o.pendingSince === 'number' && Number.isFinite(o.pendingSince) ? o.pendingSince : undefined;
  return since === undefined ? { seen, pending } : { seen, pending, pendingSince: since };
}

export function writeMemo(state: DetectorState, memo: PiiMemo, maxSeen: number): void {
  const seen = memo.seen.length > maxSeen ? memo.seen.slice(memo.seen.length - maxSeen) : memo.seen;
  const out: PiiMemo = { seen, pending: memo.pending };
  if (memo.pending.length && memo.pendingSince !== undefined) out.pendingSince = memo.pendingSince;
  state[KEY] = out;
}
