import { countedHits, MAX_LINE_VALUES } from '../detect/limits';
import { identityField, redactField } from '../format/redact';
import { field } from '../format/sanitize';
import { ACCOUNT_ID, REGION_NAME } from '../format/shape';
import { stableId } from '../ids';
import { mask, maskCommand } from '../mask';
import {
  type Evidence,
  type Finding,
  maxSeverity,
  type Principal,
  type Severity,
  severityRank,
} from '../model/finding';
import { ruleById } from '../rules/index';
import { PII_UNAVAILABLE, type ScanOutcome, WORK_CAPPED } from '../rules/system-rules';
import { annotateCommands } from './commands';
import { mayBeCut } from './read';
import { forEachScreenLine } from './terminal';
import type {
  Detection,
  Detector,
  DetectorState,
  ItemError,
  ScanResult,
  TranscriptCarry,
  TranscriptChunk,
  TranscriptContext,
  TranscriptLine,
} from './types';

/**
 * Lines carried to the next delivery so a command continued there (`> ` after a trailing `\`) is
 * joined with its start. Detectors see every line once and keep their own cross-delivery memo
 * (DetectorState, e.g. an open PEM block); a line cut by the agent is re-joined from the raw tail.
 */
const CONTEXT_LINES = 4;
const CONTEXT_CHARS = 16 * 1024;
/** A partial line longer than this is scanned as is rather than carried (bounded carry-over item). */
const MAX_TAIL_CHARS = 64 * 1024;
/** Event ids remembered for re-delivery dedupe (a subscription batch is ≤ 10 000 events). */
const EVENT_MEMORY = 512;
const MAX_EVIDENCE = 5;
const MAX_LINES = 10;
/**
 * Per-delivery work cap: this many detections are de-duplicated and kept as evidence; past it they
 * only add to their finding's count (and a `scan-work-capped` finding says how many).
 */
export const MAX_DELIVERY_DETECTIONS = 20_000;
/** Detectors run on at most this many lines / characters at a time (bounded memory on a huge file). */
const BATCH_LINES = 16_384;
const BATCH_CHARS = 4 * 1024 * 1024;

export const PII_UNAVAILABLE_RULE = PII_UNAVAILABLE.id;

/**
 * Scan one delivery of one session: carry-over in, normalise, number lines, detect, aggregate into
 * Findings (one per session + rule + kind, deterministic id), carry-over out. No I/O: the caller
 * (shared/pipeline/transcript.ts) loads the carry-over, publishes the findings, then saves the
 * returned carry-over. Never throws; the carry-over passed in is never modified.
 */
export async function scanTranscript(
  chunk: TranscriptChunk,
  ctx: TranscriptContext,
  detectors: Detector[],
): Promise<ScanResult> {
  const errors: ItemError[] = [];
  const origin = chunk.origin;
  try {
    const carry = copyCarry(ctx.carry);
    const events = carry.events ?? [];
    const seenEvents = new Set(events);
    const fresh: TranscriptChunk['events'] = [];
    for (const [i, ev] of chunk.events.entries()) {
      // Without a log event id, identical output in the same second is told apart by its position.
      const key = ev.id ?? `h:${stableId(i, ev.time, ev.text)}`;
      if (seenEvents.has(key)) continue;
      seenEvents.add(key);
      events.push(key);
      fresh.push(ev);
    }
    carry.events = events.slice(-EVENT_MEMORY);
    // A final chunk still runs: it flushes the partial tail and any text held back for packing.
    if (!fresh.length && !chunk.final) return { findings: [], errors };

    const { lines: newLines, rawCount, tail, cut } = buildLines(carry, fresh, chunk);
    const context = carry.context ?? [];
    const lines = context.concat(newLines);
    annotateCommands(lines, context.length, newLines.length ? carry.openCommand : undefined);
    if (newLines.length) carry.openCommand = openCommandOf(newLines, cut);

    // Exactly once, even if a detector reports an item again (same line, rule and value).
    const nextContext = trimContext(lines);
    const collector = new Collector(carry, nextContext[0]?.n ?? Number.POSITIVE_INFINITY);
    const failed = new Set<string>();
    let piiFailed: 'retry' | 'permanent' | undefined;
    // Batch by batch, so what detectors return for a huge delivery (a 20 MB log file) is folded into
    // counts and a few excerpts as it comes, never held all at once.
    const batches = batchesOf(newLines);
    for (const [b, batch] of batches.entries()) {
      for (const [k, d] of detectors.entries()) {
        if (failed.has(d.name)) continue;
        try {
          collector.add(d.scan(batch, stateOf(carry, d.name)), k, b);
        } catch (e) {
          failed.add(d.name);
          errors.push({ origin, message: `detector ${d.name} failed: ${shortError(e)}` });
        }
      }
      if (ctx.pii && !piiFailed && (batch.length || chunk.final)) {
        try {
          const state = stateOf(carry, ctx.pii.name);
          const final = chunk.final === true && b === batches.length - 1;
          collector.add(await ctx.pii.scan(batch, state, chunk.sessionId, { final }), detectors.length, b);
        } catch (e) {
          // A failure no retry can fix (access denied, unsupported language) is reported, not retried.
          piiFailed = (e as { retryable?: unknown }).retryable === false ? 'permanent' : 'retry';
          errors.push({ origin, message: `personal-data scan failed: ${shortError(e)}` });
        }
      }
    }
    const time = latestTime(fresh) ?? ctx.session?.startTime ?? new Date().toISOString();
    const findings = buildFindings(collector.groups(), carry, chunk, ctx, time);
    // The system rules decide which findings about the scan itself this delivery gets.
    const outcome: ScanOutcome = {
      source: 'scan',
      capped: { lineValues: collector.lineCapped, deliveryDetections: collector.deliveryCapped },
      ...(piiFailed ? { piiFailed } : {}),
    };
    if (WORK_CAPPED.matches(outcome)) findings.push(workCapped(collector, carry, chunk, ctx, time));
    const seen = collector.seen;
    const firstKept = collector.firstKept;
    if (piiFailed && PII_UNAVAILABLE.matches(outcome))
      findings.push(piiUnavailable(chunk, ctx, time, piiFailed));
    if (piiFailed === 'retry') {
      // No carry-over to save: the retried delivery is scanned again from the same state.
      return { findings, errors, retry: true };
    }

    carry.context = nextContext;
    carry.seen = Array.from(seen).filter((k) => Number(k.slice(0, k.indexOf('|'))) >= firstKept);
    carry.nextLine += rawCount;
    carry.tail = tail;
    return { findings, errors, carry };
  } catch (e) {
    errors.push({ origin, message: `transcript scan failed: ${shortError(e)}` });
    return { findings: [], errors };
  }
}

/**
 * A copy of what the scan changes, so the caller's carry-over stays as it was until it saves the
 * returned one. Context lines are shared: they are never modified once numbered.
 */
function copyCarry(c: TranscriptCarry | undefined): TranscriptCarry {
  return {
    nextLine: typeof c?.nextLine === 'number' && c.nextLine >= 1 ? c.nextLine : 1,
    tail: typeof c?.tail === 'string' ? c.tail : '',
    detectors: c?.detectors ? cloneMemo(c.detectors) : {},
    counts: { ...c?.counts },
    severities: { ...c?.severities },
    context: Array.isArray(c?.context) ? c.context : [],
    seen: Array.isArray(c?.seen) ? c.seen.slice() : [],
    events: Array.isArray(c?.events) ? c.events.slice() : [],
    ...(typeof c?.openCommand?.start === 'number' && typeof c.openCommand.head === 'string'
      ? { openCommand: { start: c.openCommand.start, head: c.openCommand.head } }
      : {}),
  };
}

/**
 * Deep copy of detector memos: plain objects and arrays are copied by hand (a memo is a few small
 * fields: much cheaper than structuredClone per delivery); anything else goes to structuredClone.
 */
function cloneMemo<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneMemo(value[i]);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = cloneMemo((value as Record<string, unknown>)[key]);
    // `__proto__` read from a store is an own key: define it, never set the prototype.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out as T;
}

function buildLines(
  carry: TranscriptCarry,
  events: TranscriptChunk['events'],
  chunk: TranscriptChunk,
): { lines: TranscriptLine[]; rawCount: number; tail: string; cut: boolean } {
  const parts: string[] = [carry.tail];
  for (const ev of events) {
    parts.push(ev.text);
    if (!mayBeCut(ev.text)) parts.push('\n');
  }
  const rawLines = parts.join('').split('\n');
  let tail = rawLines.pop() ?? '';
  // A partial line too long to carry is scanned now; the next delivery continues it (openCommand).
  const cut = !chunk.final && tail.length > MAX_TAIL_CHARS;
  if (chunk.final || cut) {
    if (tail) rawLines.push(tail);
    tail = '';
  }
  const first = carry.nextLine;
  const lines: TranscriptLine[] = [];
  forEachScreenLine(
    rawLines,
    chunk.columns ? { columns: chunk.columns } : {},
    (index, text, erased, marks) => {
      // Where the shell marked its prompt: a bare `$ ` / `# ` there is a prompt even mid-line.
      lines.push(
        marks ? { n: first + index, text, erased, prompt: { marks } } : { n: first + index, text, erased },
      );
    },
  );
  return { lines, rawCount: rawLines.length, tail, cut };
}

/** Characters of a cut command kept for its next piece: a rule's match spanning the cut is found. */
const OPEN_COMMAND_HEAD = 4096;

/** The command the last line started when that line was cut, for the next delivery to continue. */
function openCommandOf(lines: readonly TranscriptLine[], cut: boolean): TranscriptCarry['openCommand'] {
  const last = lines[lines.length - 1];
  if (!cut || last?.command === undefined || last.cancelled) return undefined;
  return { start: last.commandStart ?? last.n, head: last.command.slice(-OPEN_COMMAND_HEAD) };
}

/**
 * Detections by line, rule, kind and value. Keyed by line number (a small integer: no key string
 * per detection); a line with many detections switches to composite
 * keys so a hostile line stays linear.
 */
class DetectionSet {
  private readonly byLine = new Map<number, Detection[]>();
  private readonly keys = new Set<string>();
  private static readonly MAX_RUN = 16;

  /** False when an equal detection was already added. */
  add(d: Detection): boolean {
    const list = this.byLine.get(d.line);
    if (list === undefined) {
      this.byLine.set(d.line, [d]);
      return true;
    }
    for (const o of list) if (o.value === d.value && o.ruleId === d.ruleId && o.kind === d.kind) return false;
    if (list.length < DetectionSet.MAX_RUN) {
      list.push(d);
      return true;
    }
    // Past the run, the list stays as is and later detections of this line are tracked by key.
    const full = `${d.line}|${d.ruleId}|${d.kind}|${d.value}`;
    if (this.keys.has(full)) return false;
    this.keys.add(full);
    return true;
  }
}

/** Highest line number named by a carried key (`line|rule|kind|ordinal`); -∞ when none. */
function maxKeyLine(keys: ReadonlySet<string>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const k of keys) {
    const n = Number(k.slice(0, k.indexOf('|')));
    if (n > max) max = n;
  }
  return max;
}

function stateOf(carry: TranscriptCarry, name: string): DetectorState {
  const s = carry.detectors[name];
  if (s && typeof s === 'object') return s;
  const fresh: DetectorState = {};
  carry.detectors[name] = fresh;
  return fresh;
}

function trimContext(lines: TranscriptLine[]): TranscriptLine[] {
  const out: TranscriptLine[] = [];
  let chars = 0;
  for (let i = lines.length - 1; i >= 0 && out.length < CONTEXT_LINES; i--) {
    const l = lines[i]!;
    chars += l.text.length + l.erased.reduce((a, e) => a + e.length, 0);
    if (chars > CONTEXT_CHARS) break;
    out.push(l);
  }
  return out.reverse();
}

interface Group {
  ruleId: string;
  kind: string;
  category: Detection['category'];
  severity: Severity;
  count: number;
  cancelledOnly: boolean;
  /** By raw value (never output): hits and lines, masked when the finding is built. */
  excerpts: Map<string, { count: number; lines: number[]; detection: Detection }>;
  /** Where the group's first hit came from (detector, batch, index): findings keep that order. */
  order: [number, number, number];
}

/**
 * Folds a delivery's detections, batch by batch, into groups (one per rule and kind: count, highest
 * severity, up to MAX_EVIDENCE raw values with their lines), exactly once across the carried
 * context. The first MAX_DELIVERY_DETECTIONS detections get all of that; later ones, and hits a
 * detector only counted past its per-line cap, only add to their group's count and severity.
 */
class Collector {
  /** Detections past the per-delivery cap, and hits past detectors' per-line cap (with their lines). */
  deliveryCapped = 0;
  lineCapped = 0;
  readonly cappedLines: number[] = [];
  readonly seen: Set<string>;
  private collected = 0;
  private readonly byRule = new Map<string, Map<string, Group>>();
  private readonly all: Group[] = [];
  private readonly ordinals = new Map<string, number>();
  private readonly lastSeenLine: number;
  private batch = -1;
  private inScan = new DetectionSet();

  constructor(
    carry: TranscriptCarry,
    /** First line the next delivery sees again (carried context). */
    readonly firstKept: number,
  ) {
    this.seen = new Set(carry.seen ?? []);
    // Keys are only needed on lines a carried key can name or the next delivery will see again:
    // the other detections (most of a dump) skip the slot/ordinal bookkeeping.
    this.lastSeenLine = maxKeyLine(this.seen);
  }

  /** One detector's output for one batch; `detector` and `batch` only order the findings. */
  add(list: readonly Detection[], detector: number, batch: number): void {
    // One set per batch: lines of different batches never meet.
    if (batch !== this.batch) {
      this.batch = batch;
      this.inScan = new DetectionSet();
    }
    const inScan = this.inScan;
    for (let i = 0; i < list.length; i++) {
      const d = list[i]!;
      if (this.collected >= MAX_DELIVERY_DETECTIONS) {
        this.deliveryCapped++;
        this.count(d, 1, [detector, batch, i]);
        continue;
      }
      if (!inScan.add(d)) continue;
      if (d.line <= this.lastSeenLine || d.line >= this.firstKept) {
        const slot = `${d.line}|${d.ruleId}|${d.kind}`;
        const ordinal = this.ordinals.get(slot) ?? 0;
        this.ordinals.set(slot, ordinal + 1);
        const key = `${slot}|${ordinal}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
      }
      this.collected++;
      const g = this.count(d, 1, [detector, batch, i]);
      // Grouped by raw value in memory and masked once per kept value: masking every hit of a
      // customer dump dominated the scan.
      let e = g.excerpts.get(d.value);
      if (!e) {
        if (g.excerpts.size >= MAX_EVIDENCE) continue;
        e = { count: 0, lines: [], detection: d };
        g.excerpts.set(d.value, e);
      }
      e.count++;
      if (e.lines.length < MAX_LINES && !e.lines.includes(d.line)) e.lines.push(d.line);
    }
    for (const c of countedHits(list)) {
      this.lineCapped += c.count;
      if (this.cappedLines.length < MAX_LINES && !this.cappedLines.includes(c.line))
        this.cappedLines.push(c.line);
      this.count(c, c.count, [detector, batch, list.length]);
    }
  }

  /** Groups in the order their first hits came (detector, then batch, then position). */
  groups(): Group[] {
    return this.all.sort(
      (a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2],
    );
  }

  private count(
    d: Pick<Detection, 'ruleId' | 'kind' | 'category' | 'severity'>,
    n: number,
    order: Group['order'],
  ): Group {
    // By rule then kind: both are constant strings with cached hashes, so no key string per detection.
    let kinds = this.byRule.get(d.ruleId);
    if (!kinds) {
      kinds = new Map();
      this.byRule.set(d.ruleId, kinds);
    }
    let g = kinds.get(d.kind);
    if (!g) {
      g = {
        ruleId: d.ruleId,
        kind: d.kind,
        category: d.category,
        severity: d.severity,
        count: 0,
        cancelledOnly: d.category === 'risky-command',
        excerpts: new Map(),
        order,
      };
      kinds.set(d.kind, g);
      this.all.push(g);
    }
    g.count += n;
    if (d.severity !== g.severity) g.severity = maxSeverity(g.severity, d.severity);
    // The command detector lowers a ^C-cancelled command below its rule's severity.
    if (g.cancelledOnly) {
      const rule = ruleById(d.ruleId);
      if (!rule || rule.severity === d.severity) g.cancelledOnly = false;
    }
    return g;
  }
}

/** Lines in batches of at most BATCH_LINES lines and about BATCH_CHARS characters (one always fits). */
function batchesOf(lines: TranscriptLine[]): TranscriptLine[][] {
  const out: TranscriptLine[][] = [];
  let from = 0;
  let chars = 0;
  for (let i = 0; i < lines.length; i++) {
    chars += lines[i]!.text.length;
    if (i > from && (i - from >= BATCH_LINES || chars > BATCH_CHARS)) {
      out.push(lines.slice(from, i));
      from = i;
      chars = lines[i]!.text.length;
    }
  }
  out.push(from === 0 ? lines : lines.slice(from));
  return out;
}

function buildFindings(
  groups: readonly Group[],
  carry: TranscriptCarry,
  chunk: TranscriptChunk,
  ctx: TranscriptContext,
  time: string,
): Finding[] {
  const findings: Finding[] = [];
  const counts = carry.counts;
  const severities = carry.severities ?? {};
  carry.severities = severities;
  // The same session fields for every finding of this delivery.
  const base = groups.length > 0 ? findingBase(chunk, ctx, time) : undefined;
  for (const g of groups) {
    const key = `${g.ruleId}|${g.kind}`;
    const total = (counts[key] ?? 0) + g.count;
    counts[key] = total;
    const severity = maxSeverity(severities[key] ?? g.severity, g.severity);
    severities[key] = severity;
    const evidence = evidenceOf(g);
    const rule = ruleById(g.ruleId);
    const override = ctx.config.severityOverrides[g.ruleId];
    // Fields one by one after a copy of the base, in the same order as `{ ...base, id, … }`: the
    // spread literal dominated aggregation (the bench measures it).
    const f = copyOf(base!) as Finding;
    f.id = findingId(chunk.sessionId, g.ruleId, g.kind);
    f.ruleId = g.ruleId;
    f.category = g.category;
    f.severity = override ?? severity;
    f.title = rule?.title ?? titleFor(g.category, g.kind);
    f.reasons = reasonsFor(
      g,
      rule?.description,
      rule !== undefined && severityRank(severity) < severityRank(rule.severity),
    );
    f.evidence = evidence;
    f.count = total;
    findings.push(f);
  }
  return findings;
}

/** Finding ids of recent sessions: a sha256 per finding per delivery was a visible share of a small delivery's scan. */
const FINDING_IDS = new Map<string, string>();
const MAX_FINDING_IDS = 4096;

function findingId(sessionId: string, ruleId: string, kind: string): string {
  // Lengths first: unambiguous whatever characters the parts hold.
  const key = `${sessionId.length}:${ruleId.length}:${sessionId}${ruleId}${kind}`;
  let id = FINDING_IDS.get(key);
  if (id === undefined) {
    if (FINDING_IDS.size >= MAX_FINDING_IDS) FINDING_IDS.clear();
    id = stableId(sessionId, ruleId, kind);
    FINDING_IDS.set(key, id);
  }
  return id;
}

/** Masked evidence; values that mask alike are merged into one excerpt. */
function evidenceOf(g: Group): Evidence[] {
  const byExcerpt = new Map<string, Evidence & { lines: number[] }>();
  for (const e of g.excerpts.values()) {
    const excerpt = safeMask(e.detection);
    const prev = byExcerpt.get(excerpt);
    if (!prev) {
      byExcerpt.set(excerpt, { kind: g.kind, excerpt, count: e.count, lines: [...e.lines] });
      continue;
    }
    prev.count = (prev.count ?? 0) + e.count;
    for (const l of e.lines) if (prev.lines.length < MAX_LINES && !prev.lines.includes(l)) prev.lines.push(l);
  }
  return [...byExcerpt.values()].map((e) => ({ ...e, lines: e.lines.sort((a, b) => a - b) }));
}

function reasonsFor(g: Group, description: string | undefined, lowered: boolean): string[] {
  const reasons: string[] = [];
  if (description) reasons.push(description);
  else reasons.push(`${g.kind} seen ${g.count} time(s) in the session output`);
  if (lowered && g.cancelledOnly) {
    reasons.push('typed and then cancelled with ^C (never ran): one severity lower');
  }
  return reasons;
}

function titleFor(category: Detection['category'], kind: string): string {
  if (category === 'secret') return `Secret shown in session: ${kind}`;
  if (category === 'pii') return `Personal data shown in session: ${kind}`;
  return `Risky command: ${kind}`;
}

function piiUnavailable(
  chunk: TranscriptChunk,
  ctx: TranscriptContext,
  time: string,
  failure: 'retry' | 'permanent',
): Finding {
  const retried = failure === 'retry';
  return {
    ...findingBase(chunk, ctx, time),
    id: stableId(chunk.sessionId, PII_UNAVAILABLE.id, 'PII_SCAN'),
    ruleId: PII_UNAVAILABLE.id,
    category: PII_UNAVAILABLE.category,
    severity: PII_UNAVAILABLE.severity,
    title: PII_UNAVAILABLE.title,
    reasons: [
      retried
        ? 'The personal-data scanner failed after its retries; local detections are still reported and the delivery will be retried.'
        : 'The personal-data scanner refused the text with an error a retry cannot fix (e.g. access denied); local detections are still reported.',
    ],
    evidence: [
      { kind: 'PII_SCAN', excerpt: retried ? 'scan failed; delivery retried' : 'scan failed; not retryable' },
    ],
  };
}

export const WORK_CAPPED_RULE = WORK_CAPPED.id;

/**
 * The `scan-work-capped` finding of a delivery that hit a cap: what was only counted, by cap, with
 * the session's running totals (carried like every finding's count). No value is in it.
 */
function workCapped(
  collector: Collector,
  carry: TranscriptCarry,
  chunk: TranscriptChunk,
  ctx: TranscriptContext,
  time: string,
): Finding {
  const evidence: Evidence[] = [];
  const total = (kind: string, n: number): number => {
    const key = `${WORK_CAPPED_RULE}|${kind}`;
    carry.counts[key] = (carry.counts[key] ?? 0) + n;
    return carry.counts[key]!;
  };
  let count = 0;
  if (collector.lineCapped > 0) {
    const n = total('LINE_VALUES_CAPPED', collector.lineCapped);
    count += n;
    evidence.push({
      kind: 'LINE_VALUES_CAPPED',
      excerpt: `hits past ${MAX_LINE_VALUES} distinct values on one line: counted, no excerpt`,
      count: n,
      lines: collector.cappedLines.slice().sort((a, b) => a - b),
    });
  }
  if (collector.deliveryCapped > 0) {
    const n = total('DELIVERY_DETECTIONS_CAPPED', collector.deliveryCapped);
    count += n;
    evidence.push({
      kind: 'DELIVERY_DETECTIONS_CAPPED',
      excerpt: `detections past ${MAX_DELIVERY_DETECTIONS} in one delivery: counted, no excerpt`,
      count: n,
    });
  }
  return {
    ...findingBase(chunk, ctx, time),
    id: findingId(chunk.sessionId, WORK_CAPPED.id, 'WORK_CAP'),
    ruleId: WORK_CAPPED.id,
    category: WORK_CAPPED.category,
    severity: ctx.config.severityOverrides[WORK_CAPPED.id] ?? WORK_CAPPED.severity,
    title: WORK_CAPPED.title,
    reasons: [WORK_CAPPED.description],
    evidence,
    count,
  };
}

/** Shallow copy keeping key order (plain data: no getters, no prototype keys). */
function copyOf<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(o) as Array<keyof T>) out[key] = o[key];
  return out;
}

function findingBase(
  chunk: TranscriptChunk,
  ctx: TranscriptContext,
  time: string,
): Pick<Finding, 'source' | 'time' | 'sessionId'> & Partial<Finding> {
  const s = ctx.session;
  // The session log's own identifiers are the log's to claim (anyone who can write to the log group
  // can write them): shown only in their shape, like CloudTrail members (shared/format/redact.ts).
  const ownArn = identityField(chunk.owner?.arn, 512);
  const arn = s?.principal?.arn ?? ownArn;
  const base: Pick<Finding, 'source' | 'time' | 'sessionId'> & Partial<Finding> = {
    source: 'transcript',
    time,
    // A raw log without a session id in its name is named by its path (the CLI user's own input).
    sessionId:
      chunk.sessionId === chunk.origin
        ? field(chunk.sessionId, 1024)
        : (identityField(chunk.sessionId, 128) ?? 'unknown'),
  };
  const account = s?.account ?? ACCOUNT_ID.exec(arn?.split(':')[4] ?? '')?.[0];
  if (account) base.account = account;
  const region = s?.region ?? REGION_NAME.exec(chunk.owner?.region ?? '')?.[0];
  if (region) base.region = region;
  const target = s?.target ?? redactField(chunk.owner?.target, 256);
  if (target) base.target = target;
  const principal = s?.principal ?? (arn ? principalFromArn(arn) : undefined);
  if (principal) base.principal = principal;
  if (s?.sourceIp) base.sourceIp = s.sourceIp;
  if (s?.documentName) base.documentName = s.documentName;
  if (s?.sessionKind) base.sessionKind = s.sessionKind;
  return base;
}

/** Principal from the session log's `userIdentity.arn` (the only identity the log carries). */
export function principalFromArn(arn: string): Principal {
  const resource = arn.split(':').slice(5).join(':');
  const name = resource.split('/').pop();
  let type = 'Unknown';
  if (resource.startsWith('assumed-role/')) type = 'AssumedRole';
  else if (resource.startsWith('user/')) type = 'IAMUser';
  else if (resource === 'root') type = 'Root';
  else if (resource.startsWith('federated-user/')) type = 'FederatedUser';
  return name && name !== resource ? { arn, type, name } : { arn, type };
}

function latestTime(events: TranscriptChunk['events']): string | undefined {
  let t: string | undefined;
  for (const ev of events) if (ev.time && (!t || ev.time > t)) t = ev.time;
  return t;
}

/** Commands keep their shape with embedded secrets masked; other values are masked by kind. */
function safeMask(d: Detection): string {
  try {
    return d.category === 'risky-command' ? maskCommand(d.value) : mask(d.kind, d.value);
  } catch {
    // Masking must not fail the scan: a value that cannot be masked is shown by kind only.
    return `[${d.kind}]`;
  }
}

/** An error as `Name: first line of its message`, at most 160 characters (scan and pipeline messages). */
export function shortError(e: unknown): string {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error';
  return msg.split('\n')[0]!.slice(0, 160);
}
