import { type Backoff, backoffDelay } from '../aws/retry';
import type { Config } from '../model/config';
import { piiEntityCounts, piiRuleFor, piiSeverity } from '../rules/pii-rules';
import type { Detection, DetectorState, PiiScanner, TranscriptLine } from '../transcript/types';
import { CodePointIndex, findLastAtOrBefore } from './offsets';
import {
  codePoints,
  type Document,
  MAX_DOCUMENT_BYTES,
  pack,
  type ScanText,
  slicesOf,
  splitDocument,
} from './pack';
import { errorName, failureOf } from './retry';
import { textsToScan } from './select';
import { type PiiMemo, readMemo, textHash, writeMemo } from './state';
import { type PiiDetectApi, type PiiEntity, PiiScanError, type PiiStats } from './types';

export interface ComprehendScannerOptions {
  /** Held-back text older than this is sent at the next scan even below the 3-unit minimum (default 30). */
  maxPendingSeconds?: number;
  /** Requests are billed at least this many characters (3 units of 100). */
  minRequestChars?: number;
  /** UTF-8 bytes per document, below the 100 KB service limit (default 99 999). */
  maxDocumentBytes?: number;
  /** Hashes of scanned texts kept per session (default 2000, about 30 KB of state). */
  maxSeen?: number;
  backoff?: Partial<Backoff>;
  /** How often a document refused as too large is halved before giving up (default 6: ≤ 127 calls). */
  maxSplitDepth?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Clock in ms for the age of held-back text. */
  now?: () => number;
}

export interface ScanOptions {
  /** No more text follows for this session: send everything held back. */
  final?: boolean;
  /**
   * Pre-screen: the part of a line's text still worth sending (see `residual.ts`); an empty string
   * sends nothing. What is held back for packing is the residual, so it is applied once per text.
   */
  residual?: (line: TranscriptLine, text: string) => string;
}

interface Hit {
  src: number;
  start: number;
  end: number;
  type: string;
  score: number;
  value: string;
}

/** Retries of a transient failure, on top of the SDK's own (shared/aws/comprehend.ts). */
export const DEFAULT_BACKOFF: Backoff = { maxAttempts: 4, baseMs: 200, capMs: 5_000 };

const UNIT_CHARS = 100;
const MIN_UNITS = 3;
// The session is ending: nothing will come to pack held-back text with.
const SESSION_END = /^\s*(?:exit|logout)\s*$/;

/**
 * PII scanner backed by Comprehend DetectPiiEntities. It sends each distinct text of a session once,
 * packed into as few documents as possible, and maps entities back to transcript lines.
 *
 * Packing trade-off: a request is billed at least 300 characters, so a delivery with less new text
 * is held back (in the session state) and sent with the next one. That delays detection of that text
 * until the next delivery of the session, the held text is older than `maxPendingSeconds`, or a final
 * flush; a session that goes quiet with held-back text is scanned by the local detectors only until
 * then. Likewise, when there is plenty of text, the last few lines may wait for the next delivery so
 * the request ends close to a whole unit. Both bound the cost near ceil(characters / 100).
 */
export class ComprehendPiiScanner implements PiiScanner {
  readonly name = 'comprehend';
  readonly stats: PiiStats = { requests: 0, characters: 0, units: 0, retries: 0 };
  private readonly maxPendingMs: number;
  private readonly minChars: number;
  private readonly maxBytes: number;
  private readonly maxSeen: number;
  private readonly backoff: Backoff;
  private readonly maxSplitDepth: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(
    private readonly api: PiiDetectApi,
    private readonly config: Config,
    options: ComprehendScannerOptions = {},
  ) {
    this.maxPendingMs = (options.maxPendingSeconds ?? 30) * 1000;
    this.minChars = options.minRequestChars ?? MIN_UNITS * UNIT_CHARS;
    this.maxBytes = Math.min(options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES, MAX_DOCUMENT_BYTES);
    this.maxSeen = options.maxSeen ?? 2000;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.maxSplitDepth = options.maxSplitDepth ?? 6;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  /**
   * Scan new lines. Rejects with PiiScanError when the text could not be scanned; `state` is then left
   * exactly as it was, so a retried delivery sends the same text again.
   */
  async scan(
    lines: readonly TranscriptLine[],
    state: DetectorState,
    _sessionId: string,
    options: ScanOptions = {},
  ): Promise<Detection[]> {
    const memo = readMemo(state);
    const seen = new Set(memo.seen);
    const queued = new Set(memo.pending.map((p) => textHash(p.text)));
    const hits = new Set<string>();
    const fresh: ScanText[] = [];
    for (const line of lines) {
      for (const shown of textsToScan(line)) {
        const text = options.residual ? options.residual(line, shown) : shown;
        if (!text) continue;
        const h = textHash(text);
        if (seen.has(h)) hits.add(h);
        else if (!queued.has(h)) {
          queued.add(h);
          fresh.push({ line: line.n, text });
        }
      }
    }

    // concat, not spreads: a huge delivery has many texts.
    const queue = memo.pending.concat(fresh);
    const now = this.now();
    const since = memo.pending.length ? (memo.pendingSince ?? now) : now;
    const last = lines.at(-1);
    const sendAll =
      options.final === true ||
      (memo.pending.length > 0 && now - since >= this.maxPendingMs) ||
      (last?.command !== undefined && SESSION_END.test(last.command));
    const count = sendAll ? queue.length : this.sendCount(queue);
    const toSend = queue.slice(0, count);
    const held = queue.slice(count);

    const detections = toSend.length ? await this.detect(toSend) : [];

    // Only now, after every request succeeded: mark sent text as seen, refresh redrawn hashes.
    const sent = toSend.map((t) => textHash(t.text));
    const next: PiiMemo = {
      seen: memo.seen.filter((h) => !hits.has(h)).concat(Array.from(hits), sent),
      pending: held,
    };
    if (held.length) next.pendingSince = count >= memo.pending.length ? now : since;
    writeMemo(state, next, this.maxSeen);
    return detections;
  }

  /** Send whatever is held back for the session (end of input). */
  flush(state: DetectorState, sessionId: string): Promise<Detection[]> {
    return this.scan([], state, sessionId, { final: true });
  }

  /**
   * How many queued texts to send now: none below the minimum; otherwise the prefix whose length
   * wastes least of its last unit, holding back less than one minimum request.
   */
  private sendCount(queue: readonly ScanText[]): number {
    const sizes = queue.map((t) => codePoints(t.text));
    const total = sizes.reduce((a, b) => a + b, 0) + Math.max(0, queue.length - 1);
    if (total < this.minChars) return 0;
    let best = queue.length;
    let bestWaste = waste(total);
    let prefix = 0;
    for (let k = 1; k < queue.length; k++) {
      prefix += sizes[k - 1]! + (k > 1 ? 1 : 0);
      const rest = total - prefix - 1;
      if (prefix < this.minChars || rest >= this.minChars) continue;
      const w = waste(prefix);
      if (w < bestWaste) {
        best = k;
        bestWaste = w;
      }
    }
    return best;
  }

  private async detect(texts: readonly ScanText[]): Promise<Detection[]> {
    const hits: Hit[] = [];
    for (const doc of pack(texts, slicesOf(texts, this.maxBytes), this.maxBytes)) {
      await this.detectDocument(texts, doc, hits, 0);
    }
    return dedupe(hits).map((h) => ({
      ruleId: piiRuleFor(h.type).id,
      category: 'pii',
      kind: h.type,
      severity: piiSeverity(h.type, this.config),
      line: texts[h.src]!.line,
      value: h.value,
      score: h.score,
    }));
  }

  private async detectDocument(
    texts: readonly ScanText[],
    doc: Document,
    hits: Hit[],
    depth: number,
  ): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let entities: PiiEntity[];
      try {
        entities = await this.api.detect(doc.text, this.config.pii.languageCode);
      } catch (err) {
        const kind = failureOf(err);
        const name = errorName(err);
        if (kind === 'too-large') {
          const smaller = depth < this.maxSplitDepth ? splitDocument(texts, doc) : undefined;
          if (!smaller)
            throw new PiiScanError(`Comprehend refused a document at every size (${name})`, false, name);
          this.stats.retries++;
          for (const d of smaller) await this.detectDocument(texts, d, hits, depth + 1);
          return;
        }
        if (kind === 'transient' && attempt + 1 < this.backoff.maxAttempts) {
          this.stats.retries++;
          await this.sleep(backoffDelay(attempt, this.backoff, this.random));
          continue;
        }
        const after = kind === 'transient' ? ` after ${attempt + 1} attempts` : '';
        throw new PiiScanError(
          `Comprehend DetectPiiEntities failed${after} (${name})`,
          kind === 'transient',
          name,
        );
      }
      this.account(doc.text);
      this.collect(doc, entities, hits);
      return;
    }
  }

  private account(text: string): void {
    const chars = codePoints(text);
    this.stats.requests++;
    this.stats.characters += chars;
    this.stats.units += Math.max(MIN_UNITS, Math.ceil(chars / UNIT_CHARS));
  }

  private collect(doc: Document, entities: readonly PiiEntity[], hits: Hit[]): void {
    const index = new CodePointIndex(doc.text);
    const starts = doc.parts.map((p) => p.docStart);
    for (const e of Array.isArray(entities) ? entities : []) {
      if (!piiEntityCounts(e, this.config)) continue;
      const b = index.toUtf16(e.BeginOffset);
      const end = index.toUtf16(e.EndOffset);
      if (!(end > b)) continue;
      let i = findLastAtOrBefore(starts, b);
      let part = doc.parts[i];
      if (!part) continue;
      // Begins on the separator after a part: it belongs to the next one.
      if (b - part.docStart >= part.end - part.start) part = doc.parts[++i];
      if (!part) continue;
      const len = part.end - part.start;
      const local = Math.max(0, b - part.docStart);
      hits.push({
        src: part.src,
        start: part.start + local,
        end: part.start + Math.min(len, end - part.docStart),
        type: e.Type,
        score: e.Score,
        value: doc.text.slice(b, end),
      });
    }
  }
}

function waste(chars: number): number {
  return (UNIT_CHARS - (chars % UNIT_CHARS)) % UNIT_CHARS;
}

/**
 * Pieces of a cut text overlap, so an entity near a cut comes back twice, once possibly truncated:
 * of overlapping hits of one type in one text keep the longest (then the most confident).
 */
function dedupe(hits: Hit[]): Hit[] {
  const sorted = hits
    .slice()
    .sort((a, b) => a.src - b.src || a.type.localeCompare(b.type) || a.start - b.start || b.end - a.end);
  const out: Hit[] = [];
  for (const h of sorted) {
    const prev = out.at(-1);
    if (prev && prev.src === h.src && prev.type === h.type && h.start < prev.end) {
      const better =
        h.end - h.start > prev.end - prev.start ||
        (h.end - h.start === prev.end - prev.start && h.score > prev.score);
      if (better) out[out.length - 1] = h;
      continue;
    }
    out.push(h);
  }
  return out.sort((a, b) => a.src - b.src || a.start - b.start);
}
