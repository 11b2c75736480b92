import { findLocalPii } from './detect/pii-local';
import { findSecrets } from './detect/secrets';
import { execAll } from './detect/validators';
import { maskActivationCode } from './rules/command-rules';

/**
 * Masked excerpts for evidence: the type stays recognisable from a few edge characters, the value
 * never survives. Every branch ends in {@link guard}, which replaces the result outright if it could
 * still contain the value.
 */

const STARS = '********';
const HASHES = '########';

/** Masked form of a detected value of evidence kind `kind` (secret kind or PII entity type). */
export function mask(kind: string, value: string): string {
  if (typeof value !== 'string' || value === '') return '';
  return guard(value, maskByKind(String(kind ?? '').toUpperCase(), value));
}

function maskByKind(kind: string, value: string): string {
  const v = value.trim();
  switch (kind) {
    case 'PRIVATE_KEY': {
      // Only the head: the marker is there, and a long value costs nothing more.
      const type = /BEGIN ([A-Z0-9 ]{0,40}?)\s{0,8}PRIVATE KEY/.exec(v.slice(0, 120))?.[1];
      return type ? `[${type} private key redacted]` : '[private key redacted]';
    }
    case 'PASSWORD':
    case 'PIN':
    case 'CREDIT_DEBIT_CVV': {
      // A crypt hash keeps its scheme ($6$…), which tells the responder how crackable it is.
      const scheme = /^\$(?:1|2[abxy]?|5|6|7|y|gy)\$/.exec(v)?.[0] ?? '';
      return `${scheme}${'*'.repeat(Math.min(Math.max(v.length - scheme.length, 1), 12))} (${v.length} chars)`;
    }
    case 'AWS_ACCESS_KEY':
      return v.length >= 16 ? edges(v, 4, 4, v.length - 8) : stars(v);
    case 'EMAIL':
      return maskEmail(v);
    case 'PHONE':
      return keepLastDigits(v, 2);
    case 'SSN':
    case 'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER':
    case 'BANK_ACCOUNT_NUMBER':
    case 'PASSPORT_NUMBER':
    case 'DRIVER_ID':
      return keepLastDigits(v, 4);
    case 'CREDIT_DEBIT_NUMBER':
      return maskCard(v);
    case 'INTERNATIONAL_BANK_ACCOUNT_NUMBER':
    case 'IBAN':
      return maskIban(v);
    case 'SLACK_WEBHOOK':
      return v.replace(/^(https:\/\/hooks\.slack\.com\/[a-z]+\/).*$/, '$1****/****/****');
    case 'NAME':
    case 'ADDRESS':
    case 'USERNAME':
      return v
        .split(/(\s+|,)/)
        .map((w) => (/^[A-Za-z]{2,}$/.test(w) ? `${w[0]}***` : w.replace(/[A-Za-z0-9]/g, '*')))
        .join('');
    default:
      return maskToken(v);
  }
}

/** Vendor prefixes kept in an excerpt (they name the kind, not the secret); anchored, bounded. */
const TOKEN_PREFIX =
  /^(?:gh[pousr]_|github_pat_|gl[a-z]{1,4}-|xox[a-z]-|xapp-|eyJ|npm_|sk-ant-(?:api|admin)\d\d-|sk-(?:proj|svcacct|admin)-|gsk_|hf_|lin_(?:api|oauth)_|ntn_|SG\.|shp(?:at|ca|pa|ss)_|glc_|glsa_|hv[sbr]\.|vc[piark]_|dckr_pat_|figd_|cf(?:k|ut|at)_|[sr]k_(?:live|test)_|tskey-[a-z]{1,16}-|ops_)/;

/** Generic token: a known type prefix or up to 4 edge characters per side, only when long enough. */
function maskToken(v: string): string {
  const prefix = TOKEN_PREFIX.exec(v)?.[0] ?? '';
  if (v.length >= 24) {
    const head = prefix.length > 0 ? prefix.length : 4;
    return edges(v, head, 4, 12);
  }
  if (v.length >= 12) return edges(v, prefix.length > 0 ? prefix.length : 2, 0, 8);
  return stars(v);
}

function edges(v: string, head: number, tail: number, starCount: number): string {
  return `${v.slice(0, head)}${'*'.repeat(Math.max(1, Math.min(starCount, 16)))}${tail > 0 ? v.slice(-tail) : ''}`;
}

function stars(v: string): string {
  return '*'.repeat(Math.max(1, Math.min(v.length, 16)));
}

function maskEmail(v: string): string {
  const at = v.lastIndexOf('@');
  if (at <= 0) return maskToken(v);
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local[0]}***@${domain[0] ?? ''}***${tld}`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAlnum(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function countDigits(v: string): number {
  let n = 0;
  for (let i = 0; i < v.length; i++) if (isDigit(v.charCodeAt(i))) n++;
  return n;
}

/**
 * Every digit but the last `keep` becomes `*`; separators stay so the format is recognisable.
 * Character loops instead of replace callbacks: masking runs on every excerpt of a dump (bench: masking).
 */
function keepLastDigits(v: string, keep: number): string {
  const total = countDigits(v);
  const all = total <= keep * 2;
  let out = '';
  let seen = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!isAlnum(c)) out += v[i];
    else if (all || !isDigit(c)) out += '*';
    else out += ++seen > total - keep ? v[i] : '*';
  }
  return out;
}

/** `4111 **** **** 1111`: first and last 4 digits for 16+ digits, last 4 only for shorter PANs. */
function maskCard(v: string): string {
  const total = countDigits(v);
  const head = total >= 16 ? 4 : 0;
  let out = '';
  let seen = 0;
  for (let i = 0; i < v.length; i++) {
    if (!isDigit(v.charCodeAt(i))) {
      out += v[i];
      continue;
    }
    seen++;
    out += seen <= head || seen > total - 4 ? v[i] : '*';
  }
  return out;
}

function maskIban(v: string): string {
  const compact = v.replace(/\s/g, '');
  if (compact.length < 12) return stars(v);
  let out = '';
  let seen = 0;
  for (let i = 0; i < v.length; i++) {
    if (!isAlnum(v.charCodeAt(i))) {
      out += v[i];
      continue;
    }
    seen++;
    out += seen <= 2 || seen > compact.length - 4 ? v[i] : '*';
  }
  return out;
}

/** The last line of defence: a result that could still contain the value is replaced whole. */
function guard(value: string, masked: string): string {
  if (!masked.includes(value)) return masked;
  return STARS.includes(value) ? HASHES : STARS;
}

const MAX_COMMAND = 160;
/**
 * Characters of a text looked at for its excerpt. The excerpt is at most MAX_COMMAND characters, so a
 * value that starts in it and is up to ~4 000 characters long is still seen whole; bounding the input
 * keeps the masking of a megabyte line (or one with thousands of values) linear and cheap.
 */
const MAX_SCANNED = 4096;
const BLOB = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{40,}/g;
/**
 * AWS unique-id prefixes (access keys, users, roles, groups, certificates…) with 16 more upper-case
 * letters or digits: masked in excerpts whether or not the rest is valid base32 (look-alikes and
 * typos of real keys included); the secret detector reports only well-formed access key ids.
 */
const AWS_ID_LOOKALIKE =
  /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA|APKA|ASCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const URL_SECRET = '****';

/** A span of the text, what replaces it in the excerpt, and who wins a tie on the same start. */
interface Replacement {
  start: number;
  end: number;
  with: string;
  rank: number;
  /** A detected value: masked wherever else it shows in the excerpt too. */
  value?: string;
}

/** Of replacements starting at the same character: URL credentials, key-id shapes, secrets, then PII. */
const RANK = { url: 0, awsId: 1, secret: 2, pii: 3 } as const;
/** Characters at the end of a cut input read only as context for the values before them. */
const CUT_CONTEXT = 256;

/**
 * THE masking function for excerpts of free text (commands in evidence, error messages, log fields):
 * embedded secrets (passwords, keys, tokens, AWS key-id look-alikes, credentials in URLs) and personal
 * data (cards, SSNs, IBANs, e-mails, phones) masked, long base64-like blobs starred, then cut to about
 * 160 characters. Idempotent: an excerpt it made comes back unchanged.
 */
export function maskCommand(command: string): string {
  if (typeof command !== 'string') return '';
  const cut = command.length > MAX_SCANNED;
  // An agent activation code is a credential the generic patterns do not know: masked first.
  const text = maskActivationCode(cut ? command.slice(0, MAX_SCANNED) : command);
  // Of a cut input, text near the cut is not shown: a value there may be cut in half and missed.
  const shown = cut ? MAX_SCANNED - CUT_CONTEXT : text.length;
  const hits = urlCredentials(text);
  for (const m of execAll(AWS_ID_LOOKALIKE, text))
    hits.push({
      start: m.index,
      end: m.index + m[0].length,
      with: mask('AWS_ACCESS_KEY', m[0]),
      rank: RANK.awsId,
    });
  for (const h of findSecrets(text))
    hits.push({ start: h.start, end: h.end, with: mask(h.kind, h.value), rank: RANK.secret, value: h.value });
  for (const h of findLocalPii(text))
    hits.push({ start: h.start, end: h.end, with: mask(h.kind, h.value), rank: RANK.pii, value: h.value });
  hits.sort((a, b) => a.start - b.start || a.rank - b.rank);
  let out = '';
  let at = 0;
  // Values seen anywhere are masked wherever else they show, except those inside a span another
  // replacement took (the `user@host` of a URL is not an e-mail address).
  const values = new Set<string>();
  let full = false;
  for (const h of hits) {
    if (h.start < at) continue;
    if (h.value !== undefined) values.add(h.value);
    // Past what the excerpt can show nothing more is built (the masks' lengths vary: keep a margin).
    full ||= h.start >= shown || out.length > 2 * MAX_COMMAND;
    if (full) continue;
    out += text.slice(at, h.start) + h.with;
    at = h.end;
  }
  if (!full && at < shown) out += text.slice(at, shown);
  out = out.replace(BLOB, (blob) => (isBlob(blob) ? maskToken(blob) : blob));
  // A value detected once may occur again elsewhere on the line (pasted twice, echoed).
  for (const v of values) if (v.length >= 4 && out.includes(v)) out = out.split(v).join(STARS);
  return out.length > MAX_COMMAND || cut ? `${out.slice(0, MAX_COMMAND - 1)}…` : out;
}

/**
 * `scheme://user:password@host`: the password becomes `****` (no length, no edge characters); the
 * user part is kept only when it reads as a plain account name (`git@`, `ec2-user@`), else it may be
 * the credential itself (`https://<token>@host`) and goes too. The host is kept. Hand scan, linear:
 * the authority ends at the first blank, quote, `/`, `?` or `#` after `://` (so authorities never
 * overlap), and its last `@` ends the user part.
 */
function urlCredentials(text: string): Replacement[] {
  const out: Replacement[] = [];
  for (let i = text.indexOf('://'); i >= 0; i = text.indexOf('://', i + 3)) {
    const from = i + 3;
    let end = from;
    let at = -1;
    let colon = -1;
    for (; end < text.length; end++) {
      const c = text.charCodeAt(end);
      if (AUTHORITY_END.has(c)) break;
      if (c === AT) at = end;
      else if (c === COLON && colon < 0) colon = end;
    }
    if (at < 0) continue;
    // The user part is replaced even when kept as is: `user@host` is not an e-mail address.
    const user = text.slice(from, colon >= 0 && colon < at ? colon : at);
    const shown = PLAIN_USER.test(user) ? user : URL_SECRET;
    out.push({
      start: from,
      end: at,
      with: colon >= 0 && colon < at ? `${shown}:${URL_SECRET}` : shown,
      rank: RANK.url,
    });
  }
  return out;
}

const AT = 64;
const COLON = 58;
/** Blanks, quotes, `/`, `?`, `#`, `<`, `>` and backtick end a URL's authority. */
const AUTHORITY_END = new Set([...' \t\n\r"\'`/?#<>'].map((c) => c.charCodeAt(0)));
/** An account name (`git`, `ec2-user`); anything with capitals or digits may be a token. */
const PLAIN_USER = /^[a-z][a-z._-]{0,31}$/;

/** Random-looking: mixed case and digits, not a path or a word-ish identifier. */
function isBlob(s: string): boolean {
  return /[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s) && !/^(?:[A-Za-z]+[_-])+[A-Za-z]+$/.test(s);
}
