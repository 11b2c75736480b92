/**
 * Terminal normalisation: turn the bytes a pty wrote into what the screen showed, line by line,
 * while keeping the text that was typed and then erased (it is in the log, so it must be scanned).
 *
 * Hand-rolled on purpose: strip-ansi only deletes escape sequences (no backspace, `\r` or erase
 * semantics, so `AAFFHHJJ` + 8×BS and readline redraws come out garbled) and @xterm/headless keeps a
 * screen grid with no memory of erased text. It is slower than strip-ansi (npm run bench compares them
 * on the session corpus): the price of erase semantics, kept down because clean lines (most of a
 * streaming log) cost one control-character test and lines that never move the cursor one regex
 * replace (the same work strip-ansi does); only lines with BS/CR/cursor moves run the screen model.
 *
 * Model: one logical line per `\n`; a cursor column inside it; cursor moves that change rows
 * without a known width (CUP, ED, VPA…) start a new screen segment of the same line. Every numeric
 * parameter is clamped, a forward move cannot go more than MAX_PARAM cells past the written text, and
 * a line whose model grows past a work or cell budget proportional to its length is only stripped of
 * its sequences: `ESC[99999999C`, `ESC[1024C` storms or a megabyte line cost linear time and memory.
 *
 * Prompt marks: an interactive bash (readline) switches bracketed paste on (`ESC[?2004h`) and usually
 * sets the window title (`ESC]0;…BEL`) right before it prints its prompt; shells with terminal
 * integration send OSC 133;A ("prompt starts here"). Those sequences show nothing, but where they
 * were written tells the command annotator that a bare `$ ` / `# ` there is a prompt, even after
 * output on the same screen line. dash prints none of them.
 */

export interface ScreenLine {
  /** What the screen showed for this line (segment), trailing blanks removed. */
  text: string;
  /** Text written and then erased or overwritten on this line, in reading order. */
  erased: string[];
  /** Columns of `text` where a prompt mark was written (at most MAX_MARKS; absent when none). */
  marks?: number[];
}

export interface NormaliseOptions {
  /** Terminal width when known (the `script` header gives COLUMNS): exact readline wrap handling. */
  columns?: number;
}

/** Largest cursor movement or count honoured from a sequence parameter. */
const MAX_PARAM = 1024;
/** Prompt marks kept per screen line: the last ones (a shell writes one or two before its prompt). */
const MAX_MARKS = 16;
/** Bracketed paste on, window title (OSC 0 / 2), prompt start (OSC 133;A, VS Code's 633;A). */
const PROMPT_MARK = /^\u001b(?:\[\?2004h$|\](?:[02];|[16]33;A))/;
/** Cheap test for a line that may hold a prompt mark. */
const MAY_MARK = /\u001b(?:\[\?2004h|\](?:[02];|[16]33;A))/;
/** Controls that need more than copying the line (C0 except TAB, DEL, C1). */
const NEEDS_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Anything that moves the cursor back or to another row, or erases before it: needs the screen model. */
const MOVES_CURSOR = /[\b\r\u009b]|\u001b(?:\[[\d;:]*[ACDEFGHJPX@`adf]|\[[12]K|[EMc])/;
/** Every sequence and control the screen model ignores when the cursor only moves forward. */
const STRIP =
  /\u001b(?:\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?|[\]PX^_][^\u0007\u001b\u009c]*(?:\u0007|\u009c|\u001b\\)?|[\x20-\x2f]+[\x30-\x7e]?|[\x30-\x7e])?|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Normalise complete lines (text already split on `\n`; a trailing `\r` of `\r\n` / `\r\r\n` is a
 * carriage return with nothing after it, so it changes nothing). Returns zero or more ScreenLines per
 * input line (blank results are left out); `index` tells which input line (0-based) each came from.
 */
export function normaliseLines(
  rawLines: readonly string[],
  options: NormaliseOptions = {},
): Array<ScreenLine & { index: number }> {
  const out: Array<ScreenLine & { index: number }> = [];
  forEachScreenLine(rawLines, options, (index, text, erased, marks) => {
    out.push(marks ? { text, erased, index, marks } : { text, erased, index });
  });
  return out;
}

/**
 * The core of {@link normaliseLines}: hands each screen line to `emit` instead of building an
 * intermediate object, so the scan builds its numbered lines directly (one allocation a line less).
 */
export function forEachScreenLine(
  rawLines: readonly string[],
  options: NormaliseOptions,
  emit: (index: number, text: string, erased: string[], marks?: number[]) => void,
): void {
  const width = options.columns && options.columns > 1 ? Math.min(options.columns, 4096) : undefined;
  for (let i = 0; i < rawLines.length; i++) {
    let raw = rawLines[i]!;
    // A CR at the end of a line (`\r\n`, `\r\r\n`) moves the cursor and shows nothing.
    let end = raw.length;
    while (end > 0 && raw.charCodeAt(end - 1) === 0x0d) end--;
    if (end < raw.length) raw = raw.slice(0, end);
    if (!NEEDS_TERMINAL.test(raw)) {
      const text = raw.trimEnd();
      if (text) emit(i, text, []);
      continue;
    }
    if (!MOVES_CURSOR.test(raw)) {
      // Sequences but no cursor movement: the cursor stays at the end, so nothing can be erased.
      if (MAY_MARK.test(raw)) {
        const { text, marks } = stripMarked(raw);
        if (text) emit(i, text, [], marks);
        continue;
      }
      const text = raw.replace(STRIP, '').trimEnd();
      if (text) emit(i, text, []);
      continue;
    }
    for (const seg of renderLine(raw, width)) emit(i, seg.text, seg.erased, seg.marks);
  }
}

/** Normalise one line of terminal output (no `\n` inside). */
export function normaliseLine(raw: string, options: NormaliseOptions = {}): ScreenLine[] {
  return normaliseLines([raw], options).map(({ index: _, ...line }) => line);
}

/** The STRIP fast path, also noting where prompt marks were in the stripped text. */
function stripMarked(raw: string): { text: string; marks: number[] | undefined } {
  const marks = new MarkList();
  let removed = 0;
  const text = raw
    .replace(STRIP, (seq: string, offset: number) => {
      if (PROMPT_MARK.test(seq)) marks.add(offset - removed);
      removed += seq.length;
      return '';
    })
    .trimEnd();
  return { text, marks: marks.within(0, text.length) };
}

/** Prompt-mark columns of one screen line, in the order written: no direct repeat, the last MAX_MARKS. */
class MarkList {
  private cols: number[] = [];

  add(col: number): void {
    if (this.cols.at(-1) === col) return;
    this.cols.push(col);
    if (this.cols.length > MAX_MARKS) this.cols.shift();
  }

  /** Marks shifted by `-shift`, inside [0, length): a mark at or past the end has no prompt after it. */
  within(shift: number, length: number): number[] | undefined {
    const out: number[] = [];
    for (const c of this.cols) if (c - shift >= 0 && c - shift < length) out.push(c - shift);
    return out.length ? out : undefined;
  }
}

class LineScreen {
  cells: string[] = [];
  col = 0;
  readonly segments: ScreenLine[] = [];
  private erased: string[] = [];
  /** The erased/overwritten run being collected: cells [start, end) of the current segment. */
  private run: { start: number; end: number; text: string } | undefined;
  lastPrinted = '';
  /** Cells touched so far: pathological inputs (ESC[@ / ESC[1K storms) stop the model early. */
  work = 0;
  private marks = new MarkList();

  constructor(private readonly width: number | undefined) {}

  /** A prompt mark at the cursor. */
  mark(): void {
    this.marks.add(this.col);
  }

  /** Move forward by n, never more than MAX_PARAM cells past the written text (bounds the padding). */
  forward(n: number): void {
    this.col = Math.min(this.col + n, Math.max(this.col, this.cells.length + MAX_PARAM));
  }

  print(ch: string): void {
    const { cells } = this;
    const col = this.col;
    this.work += col > cells.length ? col - cells.length + 1 : 1;
    if (col < cells.length) {
      const old = cells[col]!;
      // A different character written over visible text: the old one was erased.
      // A different character written over visible text: the old one was erased. Blanks and equal
      // characters only extend a run already being collected (a word overwritten by a longer one).
      if ((old !== ch && old !== ' ') || this.run?.end === col) this.collect(col, col + 1, old);
      cells[col] = ch;
    } else {
      while (cells.length < col) cells.push(' ');
      cells.push(ch);
    }
    this.col = col + 1;
    this.lastPrinted = ch;
  }

  /** Blank or delete cells [from, to): their text was erased. */
  erase(from: number, to: number, shift: boolean): void {
    const end = Math.min(to, this.cells.length);
    if (from >= end) return;
    this.work += shift ? this.cells.length - from : end - from;
    const gone = this.cells.slice(from, end).join('');
    if (gone.trim()) this.collect(from, end, gone);
    if (shift) this.cells.splice(from, end - from);
    else if (end === this.cells.length) this.cells.length = from;
    else for (let i = from; i < end; i++) this.cells[i] = ' ';
  }

  insertBlanks(n: number): void {
    if (this.col >= this.cells.length) return;
    this.work += this.cells.length - this.col + n;
    this.cells.splice(this.col, 0, ...Array<string>(n).fill(' '));
  }

  carriageReturn(next: number): void {
    const w = this.width;
    if (w) {
      // Back to the start of the row the cursor is on; col === k*w is the pending-wrap position of row k-1.
      this.col = this.col === 0 ? 0 : Math.floor((this.col - 1) / w) * w;
      return;
    }
    // Width unknown: readline wraps a long input line with " \r" and continues on the next row, so a
    // CR right after a printed blank and followed by text continues the line instead of overwriting it.
    const printable = next >= 0x20 && next !== 0x7f;
    if (this.lastPrinted === ' ' && printable && this.col >= 20) this.col -= 1;
    else this.col = 0;
  }

  cursorUp(n: number): void {
    const w = this.width;
    if (w) this.col -= Math.min(n, Math.floor(this.col / w)) * w;
  }

  /** The cursor jumped to another row: what is written next belongs to a new segment. */
  rowBreak(col = 0): void {
    this.flushSegment();
    this.col = col;
  }

  finish(): ScreenLine[] {
    this.flushSegment();
    return this.segments;
  }

  private collect(from: number, to: number, text: string): void {
    const r = this.run;
    if (r && to === r.start) {
      r.start = from;
      r.text = text + r.text;
    } else if (r && from === r.end) {
      r.end = to;
      r.text += text;
    } else {
      this.flushRun();
      this.run = { start: from, end: to, text };
    }
  }

  private flushRun(): void {
    const t = this.run?.text.trim();
    if (t) this.erased.push(t);
    this.run = undefined;
  }

  private flushSegment(): void {
    this.flushRun();
    // Segments after a cursor jump start wherever the jump put them: their leading blanks mean nothing.
    const joined = this.cells.join('');
    const text = this.segments.length ? joined.trim() : joined.trimEnd();
    const lead = this.segments.length ? joined.length - joined.trimStart().length : 0;
    const marks = this.marks.within(lead, text.length);
    this.marks = new MarkList();
    if (text || this.erased.length)
      this.segments.push(marks ? { text, erased: this.erased, marks } : { text, erased: this.erased });
    this.cells = [];
    this.erased = [];
    this.lastPrinted = '';
  }
}

function renderLine(raw: string, width: number | undefined): ScreenLine[] {
  const s = new LineScreen(width);
  const len = raw.length;
  // Linear time and memory whatever the input: past these budgets the line is only stripped of its
  // sequences (a real line never needs them: cells come from printed characters and short moves).
  const budget = 16 * len + 65_536;
  const maxCells = 4 * len + 65_536;
  let i = 0;
  while (i < len) {
    if (s.work > budget || s.cells.length > maxCells) {
      const text = raw.replace(STRIP, '').trimEnd();
      return text ? [{ text, erased: [] }] : [];
    }
    const c = raw.charCodeAt(i);
    if (c === 0x1b) {
      i = escapeSequence(raw, i + 1, s);
      continue;
    }
    if (c === 0x9b) {
      // 8-bit CSI.
      i = csi(raw, i + 1, s);
      continue;
    }
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      if (c === 0x08) s.col = Math.max(0, s.col - 1);
      else if (c === 0x0d) s.carriageReturn(i + 1 < len ? raw.charCodeAt(i + 1) : -1);
      else if (c === 0x09) s.forward(8 - (s.col % 8));
      // BEL, NUL, other C0/C1 and DEL show nothing.
      i++;
      continue;
    }
    s.print(raw[i]!);
    i++;
  }
  return s.finish();
}

/** After an ESC at `i - 1`: consume the sequence, apply it, return the index after it. */
function escapeSequence(raw: string, i: number, s: LineScreen): number {
  if (i >= raw.length) return i;
  const c = raw.charCodeAt(i);
  switch (c) {
    case 0x5b: // [
      return csi(raw, i + 1, s);
    case 0x5d: // ] OSC
    case 0x50: // P DCS
    case 0x5e: // ^ PM
    case 0x5f: // _ APC
    case 0x58: // X SOS
      if (c === 0x5d && PROMPT_MARK.test(raw.slice(i - 1, i + 6))) s.mark();
      return controlString(raw, i + 1);
    case 0x1b: // ESC ESC: the first one is dropped
      return i;
    default:
      break;
  }
  if (c >= 0x20 && c <= 0x2f) {
    // Charset designation and other nF sequences: intermediates then one final byte.
    let j = i;
    while (j < raw.length && raw.charCodeAt(j) >= 0x20 && raw.charCodeAt(j) <= 0x2f) j++;
    return j < raw.length ? j + 1 : j;
  }
  if (c === 0x45 || c === 0x4d || c === 0x63) s.rowBreak(); // NEL, RI, RIS
  // Other 2-character sequences (ESC 7, ESC 8, ESC =, ESC >, ESC D…) have no effect on text.
  return c >= 0x20 && c < 0x7f ? i + 1 : i;
}

/** OSC/DCS/PM/APC/SOS body: ends at BEL or ST (ESC \); unterminated ends at the line end. */
function controlString(raw: string, i: number): number {
  for (let j = i; j < raw.length; j++) {
    const c = raw.charCodeAt(j);
    if (c === 0x07 || c === 0x9c) return j + 1;
    if (c === 0x1b) return raw.charCodeAt(j + 1) === 0x5c ? j + 2 : j;
  }
  return raw.length;
}

function csi(raw: string, i: number, s: LineScreen): number {
  const start = i;
  let j = i;
  // Parameter bytes 0x30–0x3F, then intermediates 0x20–0x2F, then a final byte 0x40–0x7E.
  while (j < raw.length) {
    const c = raw.charCodeAt(j);
    if (c < 0x30 || c > 0x3f) break;
    j++;
  }
  while (j < raw.length) {
    const c = raw.charCodeAt(j);
    if (c < 0x20 || c > 0x2f) break;
    j++;
  }
  if (j >= raw.length) return j;
  const final = raw.charCodeAt(j);
  if (final < 0x40 || final > 0x7e) return j; // malformed: drop what we read, keep the byte
  const params = raw.slice(start, j);
  // Private sequences (ESC[?…h, ESC[>…m) never move the cursor or erase text.
  if (params.charCodeAt(0) >= 0x3c) {
    if (final === 0x68 && params === '?2004') s.mark();
    return j + 1;
  }
  applyCsi(final, params, s);
  return j + 1;
}

/** The `index`-th numeric parameter (`;`-separated), clamped; `fallback` when absent. */
function param(params: string, index: number, fallback: number): number {
  let field = 0;
  let v = -1;
  for (let i = 0; i < params.length; i++) {
    const c = params.charCodeAt(i);
    if (c === 0x3b) {
      if (field === index) break;
      field++;
    } else if (field === index && c >= 0x30 && c <= 0x39) {
      v = Math.min(Math.max(v, 0) * 10 + (c - 0x30), MAX_PARAM);
    }
  }
  return v < 0 ? fallback : v;
}

function applyCsi(final: number, params: string, s: LineScreen): void {
  if (final === 0x6d) return; // SGR, by far the most common
  const n = Math.max(1, param(params, 0, 1));
  switch (String.fromCharCode(final)) {
    case 'K': {
      const mode = param(params, 0, 0);
      if (mode === 0) s.erase(s.col, s.cells.length, false);
      else if (mode === 1) s.erase(0, s.col + 1, false);
      else s.erase(0, s.cells.length, false);
      return;
    }
    case 'P':
      s.erase(s.col, s.col + n, true);
      return;
    case 'X':
      s.erase(s.col, s.col + n, false);
      return;
    case '@':
      s.insertBlanks(n);
      return;
    case 'C':
    case 'a':
      s.forward(n);
      return;
    case 'D':
      s.col = Math.max(0, s.col - n);
      return;
    case 'G':
    case '`':
      s.col = n - 1;
      return;
    case 'A':
      s.cursorUp(n);
      return;
    case 'H':
    case 'f':
      s.rowBreak(Math.max(1, param(params, 1, 1)) - 1);
      return;
    case 'J':
    case 'd':
    case 'E':
    case 'F':
      s.rowBreak();
      return;
    default:
      // SGR, modes, scrolling regions, reports: no effect on the text of the line.
      return;
  }
}
