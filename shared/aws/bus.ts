import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { InputError } from '../errors';
import { truncate } from '../format/sanitize';
import { FINDING_DETAIL_TYPE, FINDING_SOURCE } from '../metrics';
import type { Finding } from '../model/finding';

/** Where findings go: the custom EventBridge bus in the Lambdas. */
export interface FindingPublisher {
  publish(findings: readonly Finding[]): Promise<void>;
}

/** PutEvents limits: 10 entries and 256 KB per request (entry sizes as EventBridge counts them). */
export const MAX_ENTRIES_PER_CALL = 10;
export const MAX_REQUEST_BYTES = 256 * 1024;
/** Headroom for what EventBridge counts besides source, detail-type and detail (time, bus). */
const ENTRY_OVERHEAD = 100;
const EXCERPT_LIMIT = 200;
/** EventBridge error codes (`InternalFailure`, `ThrottlingException`): anything else is not echoed. */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9.]{0,63}$/;

export interface BusPublisherOptions {
  client: EventBridgeClient;
  busName: string;
  /** Attempts for entries PutEvents reports as failed (default 4). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt, with jitter (default 100 ms). */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Findings the bus did not accept; the message names counts and EventBridge's error codes only. */
export class PublishError extends InputError {
  override readonly name = 'PublishError';
}

export class EventBridgeFindingPublisher implements FindingPublisher {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BusPublisherOptions) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async publish(findings: readonly Finding[]): Promise<void> {
    const entries = findings.map((f) => toEntry(fitFinding(f), this.options.busName));
    for (const batch of batches(entries)) await this.send(batch);
  }

  /** Send one batch; retry only the entries EventBridge reports as failed, then give up loudly. */
  private async send(batch: PutEventsRequestEntry[]): Promise<void> {
    let pending = batch;
    let codes: string[] = [];
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) {
        const delay = this.baseDelayMs * 2 ** (attempt - 2);
        await this.sleep(delay / 2 + Math.random() * (delay / 2));
      }
      const out = await this.options.client.send(new PutEventsCommand({ Entries: pending }));
      if (!out.FailedEntryCount) return;
      const results = out.Entries ?? [];
      codes = [];
      pending = pending.filter((_, i) => {
        const code = results[i]?.ErrorCode;
        if (code) codes.push(ERROR_CODE.test(code) ? code : 'unknown');
        // A missing result entry is treated as failed: never lose a finding silently.
        return code !== undefined || results[i] === undefined;
      });
      if (pending.length === 0) return;
    }
    throw new PublishError(
      `PutEvents: ${pending.length} finding(s) not accepted after ${this.maxAttempts} attempts (${[...new Set(codes)].join(', ')})`,
    );
  }
}

function toEntry(finding: Finding, busName: string): PutEventsRequestEntry {
  const time = new Date(finding.time);
  return {
    EventBusName: busName,
    Source: FINDING_SOURCE,
    DetailType: FINDING_DETAIL_TYPE,
    Detail: JSON.stringify(finding),
    ...(Number.isNaN(time.getTime()) ? {} : { Time: time }),
  };
}

function entryBytes(e: PutEventsRequestEntry): number {
  return (
    Buffer.byteLength(e.Source ?? '') +
    Buffer.byteLength(e.DetailType ?? '') +
    Buffer.byteLength(e.Detail ?? '') +
    ENTRY_OVERHEAD
  );
}

function findingBytes(f: Finding): number {
  return (
    Buffer.byteLength(FINDING_SOURCE) +
    Buffer.byteLength(FINDING_DETAIL_TYPE) +
    ENTRY_OVERHEAD +
    Buffer.byteLength(JSON.stringify(f))
  );
}

/**
 * Make a finding fit one entry: shorten excerpts and reasons first, then drop trailing evidence
 * items (noting how many), so the alert still goes out with what matters most.
 */
export function fitFinding(finding: Finding, maxBytes = MAX_REQUEST_BYTES): Finding {
  if (findingBytes(finding) <= maxBytes) return finding;
  const shorten = (s: string) => truncate(s, EXCERPT_LIMIT);
  const fitted: Finding = {
    ...finding,
    title: shorten(finding.title),
    reasons: finding.reasons.slice(0, 20).map(shorten),
    evidence: finding.evidence.map((e) => ({
      ...e,
      excerpt: shorten(e.excerpt),
      lines: e.lines?.slice(0, 10),
    })),
  };
  const all = fitted.evidence;
  let keep = all.length;
  const withEvidence = (n: number): Finding => ({
    ...fitted,
    evidence:
      n === all.length
        ? all
        : [
            ...all.slice(0, n),
            { kind: 'OMITTED', excerpt: `${all.length - n} more evidence item(s) omitted (size limit)` },
          ],
  });
  // Binary search for the most evidence items that still fit.
  if (findingBytes(withEvidence(keep)) > maxBytes) {
    let lo = 0;
    let hi = all.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (findingBytes(withEvidence(mid)) <= maxBytes) lo = mid;
      else hi = mid - 1;
    }
    keep = lo;
  }
  return withEvidence(keep);
}

/** Group entries into PutEvents calls within the entry-count and request-size limits. */
function* batches(entries: PutEventsRequestEntry[]): Generator<PutEventsRequestEntry[]> {
  let batch: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = entryBytes(e);
    if (batch.length && (batch.length === MAX_ENTRIES_PER_CALL || bytes + size > MAX_REQUEST_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += size;
  }
  if (batch.length) yield batch;
}
