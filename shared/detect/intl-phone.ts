/**
 * International phone candidates: exactly the matches of the global regex
 *
 *   /(?<![\w+])\+([2-9]\d{0,2})((?:[ .-]?\(?\d{1,5}\)?){2,6})(?![\w]|[.-]\d)/g
 *
 * found by a backtracking search in the same priority order with memoised failures. Hand-written
 * because the regex splits a digit run into 1–5-digit groups every possible way before it gives up:
 * `+2` and 29 digits followed by a letter cost tens of thousands of steps. Here
 * each (position, groups so far) is explored once: a few hundred steps per `+` at most.
 */

const MAX_GROUPS = 6;
const MIN_GROUPS = 2;
const MAX_GROUP_DIGITS = 5;

/** Longest match after the `+`: country code and six groups of `[ .-]`, `(`, five digits, `)`. */
const MAX_SPAN = 1 + 3 + MAX_GROUPS * (1 + 1 + MAX_GROUP_DIGITS + 1);

/**
 * Memo of `groups` by (offset from the `+`, groups done), valid for the `+` whose stamp it carries:
 * reused across candidates instead of a Map per `+` (bench: the intl phone long line).
 */
const memoEnd = new Int32Array((MAX_SPAN + 1) * (MAX_GROUPS + 1));
const memoStamp = new Uint32Array(memoEnd.length);
let stamp = 0;
/** Digits in the run starting at each offset from the current `+` (filled per candidate). */
const runLength = new Int32Array(MAX_SPAN + 2);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWord = (c: number): boolean =>
  isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSep = (c: number): boolean => c === 32 || c === 46 || c === 45;

/** Spans [start, end) of every candidate, in order, non-overlapping (as `execAll` would return them). */
export function intlPhoneSpans(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let plus = text.indexOf('+'); plus >= 0; plus = text.indexOf('+', from)) {
    const end = matchAt(text, plus);
    if (end < 0) {
      from = plus + 1;
      continue;
    }
    out.push([plus, end]);
    from = end;
  }
  return out;
}

/** End of the match starting at the `+` at `plus`, or −1. */
function matchAt(text: string, plus: number): number {
  if (plus > 0) {
    const before = text.charCodeAt(plus - 1);
    if (isWord(before) || before === 43) return -1;
  }
  const first = text.charCodeAt(plus + 1);
  if (!(first >= 50 && first <= 57)) return -1;
  if (!mayEnd(text, plus)) return -1;
  let ccDigits = 1;
  while (ccDigits < 3 && isDigit(text.charCodeAt(plus + 1 + ccDigits))) ccDigits++;
  stamp = stamp === 0xffffffff ? 1 : stamp + 1;
  if (stamp === 1) memoStamp.fill(0);
  for (let off = MAX_SPAN + 1; off >= 0; off--)
    runLength[off] = isDigit(text.charCodeAt(plus + off))
      ? (off <= MAX_SPAN ? runLength[off + 1]! : 0) + 1
      : 0;
  // `\d{0,2}` is greedy: the longest country code is tried first.
  for (let cc = ccDigits; cc >= 1; cc--) {
    const end = groups(text, plus, plus + 1 + cc, 0);
    if (end >= 0) return end;
  }
  return -1;
}

/**
 * Quick exact reject: a match ends right after a digit or `)`, at a place `endAllowed` accepts,
 * before the first character no group can take. A `+` followed by a long digit run and a letter
 * has no such place (the common hostile shape) and costs one short scan instead of a search.
 */
function mayEnd(text: string, plus: number): boolean {
  const limit = Math.min(text.length, plus + 1 + MAX_SPAN);
  for (let i = plus + 2; i <= limit; i++) {
    const prev = text.charCodeAt(i - 1);
    if (!isDigit(prev) && prev !== 41 && !isSep(prev) && prev !== 40) return false;
    if ((isDigit(prev) || prev === 41) && endAllowed(text, i)) return true;
  }
  return false;
}

/** After `done` groups at `pos`: the end of the first accepted path, or −1. */
function groups(text: string, plus: number, pos: number, done: number): number {
  const key = (pos - plus) * (MAX_GROUPS + 1) + done;
  if (memoStamp[key] === stamp) return memoEnd[key]!;
  let result = -1;
  // Exact prune: no path ends inside a digit run (a digit follows), and each group takes at most
  // five of its digits, so a run longer than the groups left can take fails every way.
  if (runLength[pos - plus]! <= MAX_GROUP_DIGITS * (MAX_GROUPS - done)) {
    // `{2,6}` is greedy: another group is tried before stopping.
    if (done < MAX_GROUPS) result = group(text, plus, pos, done);
    if (result < 0 && done >= MIN_GROUPS && endAllowed(text, pos)) result = pos;
  }
  memoStamp[key] = stamp;
  memoEnd[key] = result;
  return result;
}

/** One `[ .-]?\(?\d{1,5}\)?` at `pos`, each optional part tried present first, digits longest first. */
function group(text: string, plus: number, pos: number, done: number): number {
  for (let sep = isSep(text.charCodeAt(pos)) ? 1 : 0; sep >= 0; sep--) {
    const p1 = pos + sep;
    for (let open = text.charCodeAt(p1) === 40 ? 1 : 0; open >= 0; open--) {
      const p2 = p1 + open;
      let digits = 0;
      while (digits < MAX_GROUP_DIGITS && isDigit(text.charCodeAt(p2 + digits))) digits++;
      for (let d = digits; d >= 1; d--) {
        const p3 = p2 + d;
        for (let close = text.charCodeAt(p3) === 41 ? 1 : 0; close >= 0; close--) {
          const end = groups(text, plus, p3 + close, done + 1);
          if (end >= 0) return end;
        }
      }
    }
  }
  return -1;
}

/** `(?![\w]|[.-]\d)` at `pos`. */
function endAllowed(text: string, pos: number): boolean {
  const c = text.charCodeAt(pos);
  if (isWord(c)) return false;
  return !((c === 46 || c === 45) && isDigit(text.charCodeAt(pos + 1)));
}
