/**
 * Identifier-aware detection of what a record member never legitimately holds: e-mail addresses,
 * long digit groups (cards, SSNs, phone and bank numbers), random-looking key material (access-key ids
 * and look-alikes, vendor tokens) and long base64 runs (secret keys). A leaf module (no imports) so
 * the config schema can use it without pulling in the detectors; shared/format/redact.ts pairs it
 * with the shared detectors and masks.
 *
 * Residual, by design: a digit group inside one hex word (`abc4111…`) is read as part of an id, and a
 * bare 12-digit group as an AWS account id.
 */

/** Evidence kinds handed to the replacer (they choose the mask in shared/mask.ts). */
export type SensitiveKind = 'EMAIL' | 'SSN' | 'TOKEN' | 'AWS_SECRET_KEY';
export type Replacer = (kind: SensitiveKind, value: string) => string;

/** `text` with every sensitive-looking part replaced by `replace(kind, part)`; one linear pass per rule. */
export function rewriteSensitive(text: string, replace: Replacer): string {
  // Key material first: its digits are not a digit group of their own. Digit groups last and over the
  // whole text: a card is often written in blocks separated by spaces, which end tokens.
  return rewriteDigitGroups(rewriteTokens(rewriteBase64Runs(text, replace), replace), replace);
}

/** Whether {@link rewriteSensitive} would change anything. */
export function looksSensitive(text: string): boolean {
  let hit = false;
  rewriteSensitive(text, (_, v) => {
    hit = true;
    return v;
  });
  return hit;
}

// A token ends at blanks and at the separators of paths, ARNs, lists and quotes.
function isSeparator(c: number): boolean {
  return (
    c === 0x20 || // space
    c === 0x2f || // /
    c === 0x3a || // :
    c === 0x2c || // ,
    c === 0x3b || // ;
    c === 0x7c || // |
    c === 0x28 || // (
    c === 0x29 || // )
    c === 0x3c || // <
    c === 0x3e || // >
    c === 0x5b || // [
    c === 0x5d || // ]
    c === 0x7b || // {
    c === 0x7d || // }
    c === 0x22 || // "
    c === 0x27 || // '
    c === 0x60 || // `
    c === 0x2026 // … (a cut)
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isLower(c: number): boolean {
  return c >= 97 && c <= 122;
}
function isAlnum(c: number): boolean {
  return isDigit(c) || isUpper(c) || isLower(c);
}

/** Hand-scanned instead of regex replaces with callbacks: one pass each, no backtracking. */
function rewriteTokens(text: string, replace: Replacer): string {
  let out = '';
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && !isSeparator(text.charCodeAt(i))) continue;
    if (i > start) out += rewriteToken(text.slice(start, i), replace);
    if (i < text.length) out += text[i];
    start = i + 1;
  }
  return out;
}

/** An e-mail address already masked by shared/mask.ts (`a***@e***.com`). */
const MASKED_EMAIL = /^[^@]\*{3}@[^@]?\*{3}/;

function rewriteToken(token: string, replace: Replacer): string {
  const at = token.indexOf('@');
  if (at > 0 && token.indexOf('.', at + 2) > at + 1 && !MASKED_EMAIL.test(token))
    return replace('EMAIL', token);
  return rewriteRandomParts(token, replace);
}

/** Digits in a group (digits joined by single `-`, `.` or spaces) from which a group means personal data. */
const GROUP_DIGITS = 9;

/**
 * Digit groups of 9 or more digits (cards, SSNs, phone and account numbers), except a bare 12-digit
 * AWS account id, a dotted IPv4 address and digits inside one hex word (instance ids, session-id
 * suffixes, SSO role suffixes).
 */
function rewriteDigitGroups(text: string, replace: Replacer): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      out += text[i];
      i++;
      continue;
    }
    let end = i;
    let digits = 0;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (isDigit(c)) {
        digits++;
        end++;
      } else if ((c === 0x2d || c === 0x2e || c === 0x20) && isDigit(text.charCodeAt(end + 1))) {
        end++;
      } else break;
    }
    const group = text.slice(i, end);
    out += digits >= GROUP_DIGITS && !harmlessGroup(text, i, end, group) ? replace('SSN', group) : group;
    i = end;
  }
  return out;
}

/** Longest hex word read as an id (instance ids 17, SSO role suffixes 16, UUID parts 32 without dashes). */
const HEX_WORD_MAX = 32;

function harmlessGroup(text: string, start: number, end: number, group: string): boolean {
  const before = start > 0 ? text.charCodeAt(start - 1) : Number.NaN;
  const after = text.charCodeAt(end);
  const bare = !isAlnum(before) && !isAlnum(after);
  if (bare) return (group.length === 12 && /^\d{12}$/.test(group)) || isDottedQuad(group);
  // A card number (13+ digits) is never part of an id, even glued to hex letters.
  if (/[-. ]/.test(group) || group.length >= 13) return false;
  // Inside one hex word of at most 32 characters: extend over the alphanumerics around the group,
  // never further than that (each group costs a bounded amount, the pass stays linear).
  let s = start;
  while (s > 0 && end - s <= HEX_WORD_MAX && isAlnum(text.charCodeAt(s - 1))) s--;
  let e = end;
  while (e < text.length && e - s <= HEX_WORD_MAX && isAlnum(text.charCodeAt(e))) e++;
  if (e - s > HEX_WORD_MAX) return false;
  return /^(?:[0-9a-f]+|[0-9A-F]+)$/.test(text.slice(s, e));
}

function isDottedQuad(s: string): boolean {
  const p = s.split('.');
  return (
    p.length === 4 && p.every((x) => x.length >= 1 && x.length <= 3 && /^\d+$/.test(x) && Number(x) <= 255)
  );
}

/**
 * Random-looking alphanumeric parts (between `.`, `_`, `-`, `+`, `=`, `@` and the like) are key
 * material: 16+ characters with upper case, digits and at least four letter/digit switches
 * (access-key ids and look-alikes, vendor tokens), or 32+ characters with letters and digits (long
 * hex or base36 tokens). Names (`AWSReservedSSO`), hex ids and session-id suffixes stay.
 */
function rewriteRandomParts(token: string, replace: Replacer): string {
  let out = '';
  let start = 0;
  for (let i = 0; i <= token.length; i++) {
    if (i < token.length && isAlnum(token.charCodeAt(i))) continue;
    if (i > start) {
      const part = token.slice(start, i);
      out += randomLike(part) ? replace('TOKEN', part) : part;
    }
    if (i < token.length) out += token[i];
    start = i + 1;
  }
  return out;
}

/** An AWS access key id (AKIA/ASIA/ABIA/ACCA + 16): key material whatever its letters and digits look like. */
const ACCESS_KEY_ID = /^A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}$/;

function randomLike(part: string): boolean {
  if (part.length < 16) return false;
  if (part.length === 20 && ACCESS_KEY_ID.test(part)) return true;
  let upper = false;
  let letter = false;
  let digit = false;
  let switches = 0;
  let prevDigit = isDigit(part.charCodeAt(0));
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    const d = isDigit(c);
    if (d) digit = true;
    else {
      letter = true;
      if (isUpper(c)) upper = true;
    }
    if (d !== prevDigit) switches++;
    prevDigit = d;
  }
  if (!digit || !letter) return false;
  return (upper && switches >= 4) || part.length >= 32;
}

/**
 * Base64 runs of 40+ characters with upper case, lower case and digits are masked whole before
 * tokens are looked at: AWS secret keys contain `/` and `+`, which would split them into tokens.
 */
export function rewriteBase64Runs(text: string, replace: Replacer): string {
  let out = '';
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = text.charCodeAt(i);
    if (i < text.length && (isAlnum(c) || c === 0x2b || c === 0x2f || c === 0x3d)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      const run = text.slice(start, i);
      out +=
        run.length >= 40 && /[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run)
          ? replace('AWS_SECRET_KEY', run)
          : run;
      start = -1;
    }
    if (i < text.length) out += text[i];
  }
  return out;
}

/** Shapes of AWS identifiers that are shown as is when they have them. */
export const ACCOUNT_ID = /^\d{12}$/;
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+){1,3}-\d{1,2}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
