import type { CarryOverStore } from './types';

/**
 * Holds carry-over writes until the findings they belong to are safely published. The transcripts
 * Lambda commits after the bus accepted the findings: if publishing fails, nothing is saved, the
 * platform retries the delivery and its events are scanned (and published) again instead of being
 * skipped as already seen.
 */
export class BufferedCarryOverStore<T> implements CarryOverStore<T> {
  private readonly pending = new Map<string, T>();

  constructor(private readonly inner: CarryOverStore<T>) {}

  async get(sessionId: string): Promise<T | undefined> {
    return this.pending.get(sessionId) ?? this.inner.get(sessionId);
  }

  async put(sessionId: string, state: T): Promise<void> {
    this.pending.set(sessionId, state);
  }

  /** Write every held state to the real store. */
  async commit(): Promise<void> {
    for (const [sessionId, state] of this.pending) await this.inner.put(sessionId, state);
    this.pending.clear();
  }
}
