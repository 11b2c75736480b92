import type { Detection } from '../transcript/types';

/**
 * Per-line work cap of the value detectors (secrets, offline PII): a line yields at most
 * {@link MAX_LINE_VALUES} distinct values per detector. Past that the detector keeps scanning and
 * counting, by rule and kind, but creates no more detections: memory stays bounded on a line of a
 * hundred thousand e-mail addresses. The counts travel with the returned list ({@link CountedHits})
 * and the transcript scan adds them to the findings and reports them (rule `scan-work-capped`).
 */
export const MAX_LINE_VALUES = 512;

/** Hits of one rule and kind on one line past the cap: counted, no value kept. */
export interface CountedHits {
  ruleId: string;
  category: Detection['category'];
  kind: string;
  severity: Detection['severity'];
  line: number;
  count: number;
}

/** What a capped detector returns: the detections, plus what it only counted. */
export type DetectionList = Detection[] & { counted?: CountedHits[] };

/** Hits counted past the per-line cap that come with `list` (none for an ordinary array). */
export function countedHits(list: readonly Detection[]): readonly CountedHits[] {
  return (list as DetectionList).counted ?? [];
}

/** Adds one hit past the cap to `list`'s counts (one entry per line, rule and kind). */
export function countHit(list: DetectionList, d: Omit<CountedHits, 'count'>): void {
  list.counted ??= [];
  // Hits of one line arrive together: its entries (one per rule and kind, a few) are at the end.
  for (let i = list.counted.length - 1; i >= 0; i--) {
    const c = list.counted[i]!;
    if (c.line !== d.line) break;
    if (c.ruleId === d.ruleId && c.kind === d.kind) {
      c.count++;
      return;
    }
  }
  list.counted.push({ ...d, count: 1 });
}

/** Appends `from`'s detections and counts to `to` (a loop, not a spread: lists can be long). */
export function appendDetections(to: DetectionList, from: readonly Detection[]): void {
  for (const d of from) to.push(d);
  const counted = countedHits(from);
  if (counted.length === 0) return;
  to.counted ??= [];
  for (const c of counted) to.counted.push(c);
}
