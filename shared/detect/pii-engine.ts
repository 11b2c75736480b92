import type { Config } from '../model/config';
import type { Severity } from '../model/finding';
import type { Detection, Detector, DetectorState, TranscriptLine } from '../transcript/types';
import { countHit, type DetectionList, MAX_LINE_VALUES } from './limits';
import { findWindowed } from './windows';

/**
 * The offline personal-data engine: runs the matchers of the local PII rules (shared/rules/pii-rules.ts)
 * over a line, keeps the first of overlapping values (rules earlier in the list win), and as a
 * detector adds the session's table context, the score threshold, per-line de-duplication and the
 * per-line cap. It knows no rule: it is given them (pii-local.ts gives it the catalogue's).
 */

/** One value found on a line. */
export interface PiiMatch {
  /** The rule's kind: a Comprehend entity type, so both scanners report the same kind. */
  kind: string;
  ruleId: string;
  start: number;
  end: number;
  value: string;
  /** 0..1, like Comprehend's: checksum-validated ≥ 0.9, well-formatted 0.85, needs a label 0.8. */
  score: number;
}

/** Where SSNs are expected on a line: the columns of an earlier header with an ssn column. */
export interface SsnColumns {
  sep: string;
  columns: number;
  ssn: number[];
}

/** What a matcher sees of one line (or of one window of a long line). */
export interface PiiLine {
  text: string;
  /** Table headers seen earlier in the session (kept by the detector, remembered across deliveries). */
  tables: readonly SsnColumns[];
}

/** Where a matcher reports its values: `start` offset in the line, value, 0..1 score. */
export interface PiiSink {
  add(start: number, value: string, score: number): void;
}

/** How a local rule finds its values. Gates first: most lines pass none, and cost only the gates. */
export interface LocalPiiMatcher {
  /** Lines with fewer digits skip this matcher. */
  minDigits: number;
  /** Lines without this substring skip it. */
  needs?: string;
  /**
   * Reports each value of the line. Patterns must be linear; a matcher's own values
   * never overlap (the engine keeps the list linear on that).
   */
  find(line: PiiLine, out: PiiSink): void;
  /** A table header line that gives later rows context (the line is then not scanned itself). */
  header?(text: string): SsnColumns | undefined;
}

/** What the engine needs of a local rule. */
export interface PiiEngineRule {
  id: string;
  kind: string;
  /** Tried in order; on overlap, values of earlier matchers (and earlier rules) win. */
  local: readonly LocalPiiMatcher[];
}

/** `re.test(text)`, run at most once and only when first asked: a label test most lines never need. */
export function lazyTest(re: RegExp, text: string): () => boolean {
  let result: boolean | undefined;
  return () => {
    if (result === undefined) result = re.test(text);
    return result;
  };
}

/** Matches compared pairwise for overlap before switching to a map of claimed characters. */
const MAX_PAIRWISE = 16;

/**
 * Matches kept so far; a new one is kept unless it overlaps one of them (earlier matchers win).
 * Pairwise while there are few; past that a map of claimed characters, so a line full of values
 * stays linear (each matcher's own matches never overlap: every character is checked at most once
 * per matcher).
 */
class Kept implements PiiSink {
  readonly list: PiiMatch[] = [];
  /** The rule whose matcher runs now. */
  rule: PiiEngineRule | undefined;
  private claimed: Uint8Array | undefined;

  constructor(private readonly length: number) {}

  add(start: number, value: string, score: number): void {
    const end = start + value.length;
    if (this.claimed === undefined) {
      for (const o of this.list) if (start < o.end && o.start < end) return;
      this.push(start, end, value, score);
      if (this.list.length > MAX_PAIRWISE) {
        this.claimed = new Uint8Array(this.length);
        for (const o of this.list) this.claimed.fill(1, o.start, o.end);
      }
      return;
    }
    if (this.claimed.subarray(start, end).includes(1)) return;
    this.claimed.fill(1, start, end);
    this.push(start, end, value, score);
  }

  private push(start: number, end: number, value: string, score: number): void {
    const rule = this.rule!;
    this.list.push({ kind: rule.kind, ruleId: rule.id, start, end, value, score });
  }
}

/** Digits in `text`, counting no further than `cap` (the most any gate needs). */
function digitCount(text: string, cap: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n < cap; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** Stable sort by start: insertion sort for the few matches of a normal line, else Array#sort. */
function byStart(out: PiiMatch[]): PiiMatch[] {
  if (out.length > 16) return out.sort((a, b) => a.start - b.start);
  for (let i = 1; i < out.length; i++) {
    const m = out[i]!;
    let j = i - 1;
    while (j >= 0 && out[j]!.start > m.start) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = m;
  }
  return out;
}

function isSsnColumns(t: unknown): t is SsnColumns {
  const c = t as SsnColumns;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.sep === 'string' &&
    typeof c.columns === 'number' &&
    Array.isArray(c.ssn) &&
    c.ssn.every((i) => typeof i === 'number')
  );
}

interface PiiState {
  tables?: SsnColumns[];
}

/** Detections of one line compared pairwise before switching to a key set. */
const MAX_INLINE_DEDUPE = 16;

function repeats(out: readonly Detection[], from: number, m: PiiMatch): boolean {
  for (let i = from; i < out.length; i++)
    if (out[i]!.value === m.value && out[i]!.kind === m.kind) return true;
  return false;
}

/** Headers kept per session: a few, so an old dump cannot make every later line an SSN context. */
const MAX_TABLES = 4;

/** The engine over a fixed list of local rules. */
export class PiiEngine {
  /** Every matcher of every rule, flattened in order, with its rule: one tight loop per line. */
  private readonly matchers: readonly LocalPiiMatcher[];
  private readonly owners: readonly PiiEngineRule[];
  /** Digits counted per line: enough for the largest gate. */
  private readonly digitCap: number;
  private readonly headers: ReadonlyArray<(text: string) => SsnColumns | undefined>;

  constructor(rules: readonly PiiEngineRule[]) {
    this.matchers = rules.flatMap((r) => r.local);
    this.owners = rules.flatMap((r) => r.local.map(() => r));
    this.digitCap = Math.max(0, ...this.matchers.map((m) => m.minDigits));
    this.headers = this.matchers.flatMap((m) => (m.header ? [m.header.bind(m)] : []));
  }

  /**
   * Personal data in one piece of text, in start order. `tables` gives table context. A long text
   * is scanned in overlapping windows (see windows.ts): linear in its length whatever it holds.
   * No score threshold: the detector applies `config.pii.minScore`.
   */
  find(text: string, tables: readonly SsnColumns[] = []): PiiMatch[] {
    if (typeof text !== 'string') return [];
    return findWindowed(text, (piece) => this.findIn(piece, tables));
  }

  private findIn(text: string, tables: readonly SsnColumns[]): PiiMatch[] {
    const digits = digitCount(text, this.digitCap);
    let out: Kept | undefined;
    let line: PiiLine | undefined;
    for (let i = 0; i < this.matchers.length; i++) {
      const m = this.matchers[i]!;
      if (digits < m.minDigits || (m.needs !== undefined && !text.includes(m.needs))) continue;
      out ??= new Kept(text.length);
      line ??= { text, tables };
      out.rule = this.owners[i]!;
      m.find(line, out);
    }
    return out ? byStart(out.list) : [];
  }

  /** A table header line, remembered by the detector for the rows that follow. */
  private header(text: string): SsnColumns | undefined {
    for (const h of this.headers) {
      const t = h(text);
      if (t) return t;
    }
    return undefined;
  }

  /** The transcript detector: severities by `severityOf`, the score threshold from `config.pii`. */
  detector(config: Config, severityOf: (kind: string, config: Config) => Severity): Detector {
    const severities = new Map<string, Severity>();
    const severity = (kind: string) => {
      let s = severities.get(kind);
      if (s === undefined) {
        s = severityOf(kind, config);
        severities.set(kind, s);
      }
      return s;
    };
    return {
      name: 'pii-local',
      scan: (lines: readonly TranscriptLine[], state: DetectorState): Detection[] => {
        const memo = state as PiiState;
        // The memo comes back from a store: keep only well-formed table headers.
        let tables: SsnColumns[] = Array.isArray(memo.tables) ? memo.tables.filter(isSsnColumns) : [];
        if (tables.length > 0) memo.tables = tables;
        else delete memo.tables;
        const out: DetectionList = [];
        for (const line of lines) {
          if (typeof line.text !== 'string') continue;
          const header = this.header(line.text);
          if (header) {
            tables = [
              ...tables.filter((t) => t.sep !== header.sep || t.columns !== header.columns),
              header,
            ].slice(-MAX_TABLES);
            memo.tables = tables;
            continue;
          }
          // Same kind and value twice on one line is one detection: compared in place while the line
          // has few (no key string per hit), by key set past that so a hostile line stays linear.
          const lineStart = out.length;
          let seen: Set<string> | undefined;
          const last = (line.erased?.length ?? 0) + 1;
          for (let i = 0; i <= last; i++) {
            let segment: string | undefined;
            if (i === 0) segment = line.text;
            else if (i < last) segment = line.erased[i - 1];
            else if (line.command && !line.text.includes(line.command)) segment = line.command;
            if (segment === undefined) continue;
            for (const m of this.find(segment, tables)) {
              if (m.score < config.pii.minScore) continue;
              if (out.length - lineStart >= MAX_LINE_VALUES) {
                // Past the per-line cap: counted (repeats included), no value kept.
                const s = severity(m.kind);
                countHit(out, { ruleId: m.ruleId, category: 'pii', kind: m.kind, severity: s, line: line.n });
                continue;
              }
              if (!seen && out.length - lineStart >= MAX_INLINE_DEDUPE) {
                seen = new Set();
                for (let i = lineStart; i < out.length; i++)
                  seen.add(`${out[i]!.kind}\u0000${out[i]!.value}`);
              }
              if (seen) {
                const key = `${m.kind}\u0000${m.value}`;
                if (seen.has(key)) continue;
                seen.add(key);
              } else if (repeats(out, lineStart, m)) continue;
              out.push({
                ruleId: m.ruleId,
                category: 'pii',
                kind: m.kind,
                severity: severity(m.kind),
                line: line.n,
                value: m.value,
                score: m.score,
              });
            }
          }
        }
        return out;
      },
    };
  }
}
