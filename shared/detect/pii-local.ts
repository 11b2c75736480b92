import { type Config, DEFAULT_CONFIG } from '../model/config';
import type { Severity } from '../model/finding';
import { findLastAtOrBefore } from '../pii/offsets';
import { piiRuleFor, piiSeverity } from '../rules/pii-rules';
import type { Detection, Detector, DetectorState, PiiScanner, TranscriptLine } from '../transcript/types';
import { intlPhoneSpans } from './intl-phone';
import { countHit, type DetectionList, MAX_LINE_VALUES } from './limits';
import { cardValid, execAll, ibanValid, ssnValid } from './validators';
import { findWindowed } from './windows';

/**
 * Offline personal-data detector for structured values: e-mail, phone, US SSN, payment cards, IBAN.
 * Same output as the Comprehend scanner (Comprehend entity types as kinds, a 0..1 score).
 * Scores: checksum-validated values ≥ 0.9, well-formatted values 0.85, values that need a nearby
 * label to count 0.8. The factories filter by `config.pii.minScore`; {@link findLocalPii} does not.
 */

export interface PiiMatch {
  kind: 'EMAIL' | 'PHONE' | 'SSN' | 'CREDIT_DEBIT_NUMBER' | 'INTERNATIONAL_BANK_ACCOUNT_NUMBER';
  start: number;
  end: number;
  value: string;
  score: number;
}

/** Where SSNs are expected on a line: the columns of an earlier header with an ssn column. */
export interface SsnColumns {
  sep: string;
  columns: number;
  ssn: number[];
}

/**
 * Lookbehind after the first character, as in CARD (same matches), so the engine skips ahead on the
 * first-character class (corpus lines, full scan: EMAIL 0.45 → 0.38 ms; transcript bench scanMs
 * 4.29 → 4.24 median of 6, inside its ±0.3 ms noise).
 */
const EMAIL =
  /[A-Za-z0-9](?<![\w.+%-][A-Za-z0-9])(?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])/g;
/** File extensions and private suffixes that make `x@y.z` a file or host name, not a mailbox. */
const NOT_MAIL_TLD = new Set(
  'png jpg jpeg gif svg webp ico css js mjs ts map json yml yaml log txt html htm xml md internal local localdomain localhost lan arpa intranet'.split(
    ' ',
  ),
);

const NANP =
  /(?<![\w.+/-])(?:(\+?1)([ .-]?))?(?:\(([2-9][0-8]\d)\) ?|([2-9][0-8]\d)([ .-]?))([2-9]\d{2})([ .-]?)(\d{4})(?![\w]|[.-]\d)/g;
/** International numbers (`+44 20 7946 0958`): see intl-phone.ts (a hand scan of the same regex). */
const SSN = /(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])/g;
/**
 * The left-boundary lookbehind sits after the first digit (same matches: it checks the character
 * before that digit), so the engine skips ahead to digits instead of evaluating it everywhere
 * (digit-heavy corpus lines: CARD 0.147 → 0.100 ms; transcript bench scanMs 4.38 → 4.33 mean of 5).
 */
const CARD =
  /\d(?<![\w.\-/]\d)(?:\d{12,18}|\d{3}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{3}([ -])\d{6}\2\d{4,5})(?![\w]|[.-]\d)/g;
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g;

const SSN_WORD = /\b(?:ssn|social[\s_-]*security|soc[\s_.-]*sec)/i;
const PHONE_WORD = /\b(?:phone|tel|telephone|mobile|cell|fax|contact)\b/i;
const SSN_HEADER =
  /^(?:ssn|social[\s_-]*security(?:[\s_-]*(?:number|no|num|nr))?|ss[\s_-]*(?:no|num|number))$/i;

/** Country calling codes (ITU E.164), enough to reject `+` numbers that cannot be phones. */
const CC2 = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);
const CC3_RANGES: ReadonlyArray<readonly [number, number]> = [
  [211, 299],
  [350, 359],
  [370, 389],
  [420, 429],
  [500, 509],
  [590, 599],
  [670, 692],
  [850, 856],
  [870, 888],
  [960, 979],
  [992, 998],
];

function countryCodeLength(digits: string): number {
  if (digits.startsWith('7')) return 1;
  if (CC2.has(digits.slice(0, 2))) return 2;
  const three = Number(digits.slice(0, 3));
  return CC3_RANGES.some(([lo, hi]) => three >= lo && three <= hi) ? 3 : 0;
}

/** Digits in `text`, counting no further than `cap` (the most any gate below needs). */
function digitCount(text: string, cap: number): number {
  let n = 0;
  for (let i = 0; i < text.length && n < cap; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/**
 * Offsets of the unquoted separators of a line (quote-aware, like a CSV reader). Jumps between
 * separators and quotes with indexOf instead of testing every character (dump rows: 3x faster).
 */
function separatorOffsets(text: string, sep: string): number[] {
  const out: number[] = [];
  // A separator from a stored memo may be anything; only a single non-quote character can match.
  if (sep.length !== 1 || sep === '"') return out;
  let quoted = false;
  let quote = text.indexOf('"');
  for (let i = text.indexOf(sep); i >= 0; i = text.indexOf(sep, i + 1)) {
    while (quote >= 0 && quote < i) {
      quoted = !quoted;
      quote = text.indexOf('"', quote + 1);
    }
    if (!quoted) out.push(i);
  }
  return out;
}

/** Longest local part EMAIL accepts: a match starts at most this far before its `@`. */
const MAX_LOCAL = 64;

/**
 * EMAIL matches, the same as a global scan from 0, but the scan starts at most MAX_LOCAL before
 * the next `@` and stops when no `@` is left (pii-leak dump rows: EMAIL regex time −60 %).
 */
function emailMatches(text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let pos = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', pos)) {
    EMAIL.lastIndex = Math.max(pos, at - MAX_LOCAL);
    const m = EMAIL.exec(text);
    if (!m) break;
    out.push(m);
    pos = EMAIL.lastIndex;
  }
  EMAIL.lastIndex = 0;
  return out;
}

/**
 * Index of the field an offset falls in, and the number of fields. Separators are found once per
 * line and separator (`cache`), not once per SSN candidate (pii-leak dump: −0.15 ms).
 */
function fieldAt(
  text: string,
  sep: string,
  offset: number,
  cache: Map<string, number[]>,
): { index: number; count: number } {
  let seps = cache.get(sep);
  if (!seps) {
    seps = separatorOffsets(text, sep);
    cache.set(sep, seps);
  }
  // Separators before the offset (binary search: a row with thousands of cells stays linear).
  const index = findLastAtOrBefore(seps, offset - 1) + 1;
  return { index: offset < text.length ? index : -1, count: seps.length + 1 };
}

/** Fewest digits each pattern can match: lines with fewer skip it (corpus: findLocalPii 2.55 → 0.95 ms). */
const MIN_DIGITS = { card: 13, ssn: 9, nanp: 10, intl: 8 } as const;
/**
 * Every NANP match holds `ddd[ .-]?dddd`; this gate starts on a digit, so the engine skips ahead,
 * while NANP's leading lookbehind runs at every position (digit-heavy lines: NANP time −50 %).
 */
const NANP_CORE = /\d{3}[ .-]?\d{4}/;
/** IBAN candidates need `CCdd`; tested before the full pattern. */
const IBAN_START = /[A-Z]{2}\d\d/;

/** A label test run at most once, and only if some candidate needs it (most never do). */
class LazyTest {
  private result: boolean | undefined;
  constructor(
    private readonly re: RegExp,
    private readonly text: string,
  ) {}

  value(): boolean {
    if (this.result === undefined) this.result = this.re.test(this.text);
    return this.result;
  }
}

/** Matches compared pairwise for overlap before switching to a map of claimed characters. */
const MAX_PAIRWISE = 16;

/**
 * Matches kept so far; a new one is kept unless it overlaps one of them (earlier patterns win).
 * Pairwise while there are few; past that a map of claimed characters, so a line full of values
 * stays linear (each pattern's own matches never overlap: every character is checked at most once
 * per pattern).
 */
class Kept {
  readonly list: PiiMatch[] = [];
  private claimed: Uint8Array | undefined;

  constructor(private readonly length: number) {}

  add(m: PiiMatch): void {
    if (this.claimed === undefined) {
      for (const o of this.list) if (m.start < o.end && o.start < m.end) return;
      this.list.push(m);
      if (this.list.length > MAX_PAIRWISE) {
        this.claimed = new Uint8Array(this.length);
        for (const o of this.list) this.claimed.fill(1, o.start, o.end);
      }
      return;
    }
    if (this.claimed.subarray(m.start, m.end).includes(1)) return;
    this.claimed.fill(1, m.start, m.end);
    this.list.push(m);
  }
}

/**
 * Structured personal data in one piece of text. `ssnColumns` gives table context for SSNs. A long
 * text is scanned in overlapping windows (see windows.ts): linear in its length whatever it holds.
 */
export function findLocalPii(text: string, ssnColumns: readonly SsnColumns[] = []): PiiMatch[] {
  if (typeof text !== 'string') return [];
  return findWindowed(text, (piece) => findLocalPiiIn(piece, ssnColumns));
}

function findLocalPiiIn(text: string, ssnColumns: readonly SsnColumns[]): PiiMatch[] {
  const hasAt = text.includes('@');
  const digits = digitCount(text, MIN_DIGITS.card);
  if (!hasAt && digits < MIN_DIGITS.intl) return [];
  const out = new Kept(text.length);

  if (hasAt) {
    for (const m of emailMatches(text)) {
      if (NOT_MAIL_TLD.has(m[1]!.toLowerCase())) continue;
      out.add({ kind: 'EMAIL', start: m.index!, end: m.index! + m[0].length, value: m[0], score: 0.9 });
    }
  }
  if (digits < MIN_DIGITS.intl) return out.list;

  if (digits >= MIN_DIGITS.card) {
    // A candidate that fails the checks does not hide one starting inside it: `4444 4111 1111 1111
    // 1111` is first read as `4444 4111 1111 1111` (not a card), then from the next digit on.
    CARD.lastIndex = 0;
    for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
      const compact = m[0].replace(/\D/g, '');
      if (!cardValid(compact)) {
        CARD.lastIndex = m.index + 1;
        continue;
      }
      out.add({
        kind: 'CREDIT_DEBIT_NUMBER',
        start: m.index!,
        end: m.index! + m[0].length,
        value: m[0],
        score: m[1] || m[2] ? 0.95 : 0.9,
      });
    }
    CARD.lastIndex = 0;
  }

  if (IBAN_START.test(text)) {
    for (const m of execAll(IBAN, text)) {
      const value = ibanPrefix(m[0]);
      if (value)
        out.add({
          kind: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
          start: m.index!,
          end: m.index! + value.length,
          value,
          score: 0.95,
        });
    }
  }

  if (digits >= MIN_DIGITS.ssn) {
    const fields = new Map<string, number[]>();
    const ssnWord = new LazyTest(SSN_WORD, text);
    for (const m of execAll(SSN, text)) {
      const start = m.index!;
      const valid = ssnValid(m[1]! + m[3]! + m[4]!);
      const dashed = m[2] === '-';
      let inColumn = false;
      for (const c of ssnColumns) {
        const f = fieldAt(text, c.sep, start, fields);
        if (f.count === c.columns && c.ssn.includes(f.index)) {
          inColumn = true;
          break;
        }
      }
      // The label regex runs at most once a line, and only when no column gave the context.
      const context = inColumn || ssnWord.value();
      let score = 0;
      if (valid && dashed) score = context ? 0.95 : 0.85;
      else if (context && (valid || dashed)) score = 0.8;
      if (score > 0) out.add({ kind: 'SSN', start, end: start + m[0].length, value: m[0], score });
    }
  }

  if (digits >= MIN_DIGITS.nanp && NANP_CORE.test(text)) {
    // The label regex runs at most once a line, and only for the shapes that need a label.
    const phoneWord = new LazyTest(PHONE_WORD, text);
    for (const m of execAll(NANP, text)) {
      const [, cc, , parenArea, area, s1, , s2] = m;
      let score = 0;
      if (parenArea !== undefined) {
        if (s2 === '-' || s2 === '.' || s2 === ' ') score = 0.9;
        else score = phoneWord.value() ? 0.8 : 0;
      } else if (s1 === s2 && (s1 === '-' || s1 === '.')) score = cc ? 0.9 : s1 === '-' ? 0.85 : 0.8;
      else if (s1 === s2 && cc?.startsWith('+')) score = 0.85;
      else if (s1 === s2 && area !== undefined && phoneWord.value()) score = 0.8;
      if (score > 0)
        out.add({ kind: 'PHONE', start: m.index!, end: m.index! + m[0].length, value: m[0], score });
    }
  }
  if (text.includes('+')) {
    for (const [start, end] of intlPhoneSpans(text)) {
      const value = text.slice(start, end);
      const all = value.replace(/\D/g, '');
      if (all.length < 8 || all.length > 15 || countryCodeLength(all) === 0) continue;
      out.add({ kind: 'PHONE', start, end, value, score: 0.85 });
    }
  }
  return byStart(out.list);
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

/** The IBAN at the start of a candidate, cut at its country's registered length on a group boundary. */
function ibanPrefix(candidate: string): string | undefined {
  for (let end = candidate.length; end >= 15; end--) {
    if (end < candidate.length && candidate[end] !== ' ') continue;
    const value = candidate.slice(0, end).trimEnd();
    if (ibanValid(value)) return value;
  }
  return undefined;
}

/** A CSV/TSV/table header naming an SSN column, remembered for the rows that follow. */
function ssnHeader(text: string): SsnColumns | undefined {
  if (!/ssn|social|ss[\s_-]*n/i.test(text) || text.includes('@')) return undefined;
  for (const sep of [',', '\t', ';', '|']) {
    if (!text.includes(sep)) continue;
    const fields = text.split(sep).map((f) => f.trim().replace(/^["']|["']$/g, ''));
    if (fields.length < 2 || !fields.every((f) => f === '' || /^[A-Za-z_][\w .#/-]{0,40}$/.test(f))) continue;
    const ssn = fields.flatMap((f, i) => (SSN_HEADER.test(f) ? [i] : []));
    if (ssn.length > 0) return { sep, columns: fields.length, ssn };
  }
  return undefined;
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

/** Offline PII detector; severities and the score threshold come from `config.pii`. */
export function createLocalPiiDetector(config: Config = DEFAULT_CONFIG): Detector {
  const meta = new Map<string, { ruleId: string; severity: Severity }>();
  const metaOf = (kind: string) => {
    let m = meta.get(kind);
    if (!m) {
      m = { ruleId: piiRuleFor(kind).id, severity: piiSeverity(kind, config) };
      meta.set(kind, m);
    }
    return m;
  };
  return {
    name: 'pii-local',
    scan(lines: readonly TranscriptLine[], state: DetectorState): Detection[] {
      const memo = state as PiiState;
      // The memo comes back from a store: keep only well-formed table headers.
      let tables: SsnColumns[] = Array.isArray(memo.tables) ? memo.tables.filter(isSsnColumns) : [];
      if (tables.length > 0) memo.tables = tables;
      else delete memo.tables;
      const out: DetectionList = [];
      for (const line of lines) {
        if (typeof line.text !== 'string') continue;
        const header = ssnHeader(line.text);
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
          for (const m of findLocalPii(segment, tables)) {
            if (m.score < config.pii.minScore) continue;
            if (out.length - lineStart >= MAX_LINE_VALUES) {
              // Past the per-line cap: counted (repeats included), no value kept.
              const { ruleId, severity } = metaOf(m.kind);
              countHit(out, { ruleId, category: 'pii', kind: m.kind, severity, line: line.n });
              continue;
            }
            if (!seen && out.length - lineStart >= MAX_INLINE_DEDUPE) {
              seen = new Set();
              for (let i = lineStart; i < out.length; i++) seen.add(`${out[i]!.kind}\u0000${out[i]!.value}`);
            }
            if (seen) {
              const key = `${m.kind}\u0000${m.value}`;
              if (seen.has(key)) continue;
              seen.add(key);
            } else if (repeats(out, lineStart, m)) continue;
            const { ruleId, severity } = metaOf(m.kind);
            out.push({
              ruleId,
              category: 'pii',
              kind: m.kind,
              severity,
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

/** Same detector as a {@link PiiScanner} (the `--pii local` choice). */
export function createLocalPiiScanner(config: Config = DEFAULT_CONFIG): PiiScanner {
  const detector = createLocalPiiDetector(config);
  return {
    name: 'pii-local',
    scan: async (lines, state) => detector.scan(lines, state),
  };
}

export const localPiiDetector: Detector = createLocalPiiDetector();
export const localPiiScanner: PiiScanner = createLocalPiiScanner();
