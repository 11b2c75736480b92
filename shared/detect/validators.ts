/**
 * Cheap, exact checks that turn a regex hit into a confident detection (checksums, issuer
 * ranges, registry tables). Pure functions, no allocation-heavy work: they run per candidate.
 */

/** Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

interface Issuer {
  name: string;
  lengths: readonly number[];
  /** Inclusive prefix ranges, compared on the first `digits` digits. */
  ranges: ReadonlyArray<readonly [number, number]>;
  digits: number;
}

const ISSUERS: readonly Issuer[] = [
  { name: 'visa', digits: 1, ranges: [[4, 4]], lengths: [13, 16, 19] },
  {
    name: 'mastercard',
    digits: 4,
    ranges: [
      [5100, 5599],
      [2221, 2720],
    ],
    lengths: [16],
  },
  {
    name: 'amex',
    digits: 2,
    ranges: [
      [34, 34],
      [37, 37],
    ],
    lengths: [15],
  },
  { name: 'discover', digits: 4, ranges: [[6011, 6011]], lengths: [16, 17, 18, 19] },
  {
    name: 'discover',
    digits: 3,
    ranges: [
      [644, 649],
      [650, 659],
    ],
    lengths: [16, 17, 18, 19],
  },
  { name: 'jcb', digits: 4, ranges: [[3528, 3589]], lengths: [16, 17, 18, 19] },
  { name: 'diners', digits: 3, ranges: [[300, 305]], lengths: [14, 15, 16, 17, 18, 19] },
  {
    name: 'diners',
    digits: 2,
    ranges: [
      [36, 36],
      [38, 39],
    ],
    lengths: [14, 15, 16, 17, 18, 19],
  },
  { name: 'unionpay', digits: 2, ranges: [[62, 62]], lengths: [16, 17, 18, 19] },
  { name: 'mir', digits: 4, ranges: [[2200, 2204]], lengths: [16, 17, 18, 19] },
];

/** Card network of a PAN (digits only) by issuer prefix and length, or undefined. */
export function cardIssuer(digits: string): string | undefined {
  for (const issuer of ISSUERS) {
    if (!issuer.lengths.includes(digits.length)) continue;
    const prefix = Number(digits.slice(0, issuer.digits));
    if (issuer.ranges.some(([lo, hi]) => prefix >= lo && prefix <= hi)) return issuer.name;
  }
  return undefined;
}

/** A plausible payment card number: issuer range, length and Luhn. */
export function cardValid(digits: string): boolean {
  return cardIssuer(digits) !== undefined && luhnValid(digits);
}

/** IBAN lengths per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** IBAN check: known country, its registered length, check digits 02..98 and mod-97 = 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/ /g, '');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(s)) return false;
  if (IBAN_LENGTHS[s.slice(0, 2)] !== s.length) return false;
  const check = Number(s.slice(2, 4));
  if (check < 2 || check > 98) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? code - 55 : code - 48;
    rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
  }
  return rem === 1;
}

/** The IBAN at the start of a candidate, cut at its country's registered length on a group boundary. */
export function ibanPrefix(candidate: string): string | undefined {
  for (let end = candidate.length; end >= 15; end--) {
    if (end < candidate.length && candidate[end] !== ' ') continue;
    const value = candidate.slice(0, end).trimEnd();
    if (ibanValid(value)) return value;
  }
  return undefined;
}

/** Two-digit country calling codes (ITU E.164). */
const CC2 = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);
/** Three-digit country calling codes, as ranges (ITU E.164). */
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

/**
 * Length of the country calling code an international number (digits only, no `+`) starts with,
 * or 0 when none fits: enough to reject `+` numbers that cannot be phones.
 */
export function callingCodeLength(digits: string): number {
  if (digits.startsWith('7')) return 1;
  if (CC2.has(digits.slice(0, 2))) return 2;
  const three = Number(digits.slice(0, 3));
  return CC3_RANGES.some(([lo, hi]) => three >= lo && three <= hi) ? 3 : 0;
}

/**
 * US SSN issuance rules: area 001–899 except 666, group 01–99, serial 0001–9999.
 * Takes the nine digits without separators.
 */
export function ssnValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3) of an ASCII string. */
export function crc32(text: string): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = crcTable[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(n: number, width: number): string {
  let out = '';
  let v = n;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

/**
 * GitHub's published token format: prefix `gh?_`, 30 random base62 characters, then the CRC-32
 * of those 30 characters as 6 base62 digits. A random look-alike passes with odds ~1 in 5.7e10.
 * npm access tokens (`npm_`) use the same format.
 */
export function githubChecksumValid(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length !== 36) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

/**
 * Grafana service-account token `glsa_<32 random>_<checksum>`: the checksum is the CRC-32 of
 * `glsa_<32 random>`, its four bytes little-endian, as 8 hex digits.
 */
export function grafanaChecksumValid(token: string): boolean {
  const cut = token.lastIndexOf('_');
  if (cut < 0 || token.length - cut !== 9) return false;
  const c = crc32(token.slice(0, cut));
  let hex = '';
  for (let i = 0; i < 4; i++) hex += ((c >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return hex === token.slice(cut + 1).toLowerCase();
}

/** Base64 (or base64url) of a JSON object: 1Password service-account tokens carry one after `ops_`. */
export function base64JsonObject(part: string): boolean {
  const json = decodeBase64Url(part);
  if (json === undefined || !json.startsWith('{')) return false;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** At least `n` of upper case, lower case and digits: random tokens have them, words and ids rarely. */
export function classMix(s: string, n = 2): boolean {
  const c = charClasses(s);
  return [c.upper, c.lower, c.digit].filter(Boolean).length >= n;
}

/** Decode base64url (or base64) to a UTF-8 string; undefined when it is not valid UTF-8 text. */
export function decodeBase64Url(part: string): string | undefined {
  if (!/^[A-Za-z0-9_+/-]*={0,2}$/.test(part)) return undefined;
  const buf = Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    return undefined;
  }
}

/** A JWS/JWT header: base64url JSON object with a string `alg`. */
export function jwtHeaderValid(headerPart: string): boolean {
  const json = decodeBase64Url(headerPart);
  if (json === undefined) return false;
  try {
    const header: unknown = JSON.parse(json);
    return (
      typeof header === 'object' && header !== null && typeof (header as { alg?: unknown }).alg === 'string'
    );
  } catch {
    return false;
  }
}

/** Character classes present in a token: upper, lower, digit, other. */
export function charClasses(s: string): { upper: boolean; lower: boolean; digit: boolean; other: boolean } {
  return {
    upper: /[A-Z]/.test(s),
    lower: /[a-z]/.test(s),
    digit: /\d/.test(s),
    other: /[^A-Za-z0-9]/.test(s),
  };
}

/**
 * Every match of a global regex, like `[...text.matchAll(re)]` without its per-call RegExp clone and
 * iterator (they were half of findLocalPii's time on the session corpus).
 * Resets `re.lastIndex` before and after, so a shared module-level regex stays reusable.
 */
export function execAll(re: RegExp, text: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push(m);
    // An empty match would repeat forever: step over it like matchAll does.
    if (m[0] === '') re.lastIndex++;
  }
  re.lastIndex = 0;
  return out;
}

/**
 * Every match of a global regex, the same as {@link execAll}, for a pattern whose every match is
 * non-empty and holds `anchor` at most `before` characters after its start: the scan starts that far
 * before the next anchor and stops when none is left, so text far from any anchor is never searched.
 */
export function execNear(re: RegExp, text: string, anchor: string, before: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let pos = 0;
  for (let at = text.indexOf(anchor); at >= 0; at = text.indexOf(anchor, pos)) {
    re.lastIndex = Math.max(pos, at - before);
    const m = re.exec(text);
    if (!m) break;
    out.push(m);
    pos = re.lastIndex;
  }
  re.lastIndex = 0;
  return out;
}
