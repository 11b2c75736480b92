/**
 * Replays CloudTrail records in event-time order within a bounded window. Archives are ordered by
 * delivery file (about five minutes each), not by event, and a listing mixes Regions and accounts:
 * fan-out and first seen must see a principal's calls in the order they happened. A record is held
 * until the newest time seen is `holdMs` past it, or until `maxHeld` records wait (the oldest goes
 * first); memory stays bounded whatever the input. Records without a readable time pass at once.
 * A binary heap by hand: no dependency offers one, and a sorted array would make each insert linear.
 */
export class TimeOrder<T> {
  private readonly heap: Array<{ t: number; seq: number; item: T }> = [];
  private newest = Number.NEGATIVE_INFINITY;
  private seq = 0;

  constructor(
    private readonly holdMs = 5 * 60_000,
    private readonly maxHeld = 2_000,
  ) {}

  /** Add one item at `timeMs`; returns the items now due, oldest first. */
  push(item: T, timeMs: number | undefined): T[] {
    if (timeMs === undefined || !Number.isFinite(timeMs)) return [item];
    this.insert({ t: timeMs, seq: this.seq++, item });
    if (timeMs > this.newest) this.newest = timeMs;
    const out: T[] = [];
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top === undefined) break;
      if (top.t > this.newest - this.holdMs && this.heap.length <= this.maxHeld) break;
      out.push(this.pop());
    }
    return out;
  }

  /** Every item still held, oldest first (end of a file or of the input); ordering starts afresh. */
  drain(): T[] {
    const out: T[] = [];
    while (this.heap.length > 0) out.push(this.pop());
    this.newest = Number.NEGATIVE_INFINITY;
    return out;
  }

  get size(): number {
    return this.heap.length;
  }

  private less(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private insert(node: { t: number; seq: number; item: T }) {
    const h = this.heap;
    h.push(node);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      const c = h[i];
      if (p === undefined || c === undefined || !this.less(c, p)) break;
      h[parent] = c;
      h[i] = p;
      i = parent;
    }
  }

  private pop(): T {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) throw new Error('pop from an empty heap');
    const n = h.length;
    if (n > 0) {
      // Sift `last` down from the root: no closures here, this runs once per record.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let child = h[l] as { t: number; seq: number; item: T };
        if (r < n) {
          const right = h[r] as { t: number; seq: number; item: T };
          if (this.less(right, child)) {
            c = r;
            child = right;
          }
        }
        if (!this.less(child, last)) break;
        h[i] = child;
        i = c;
      }
      h[i] = last;
    }
    return top.item;
  }
}
