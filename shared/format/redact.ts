import { isIP } from 'node:net';
import { mask, maskCommand } from '../mask';
import { oneLine, truncate } from './sanitize';
import { rewriteBase64Runs, rewriteSensitive } from './shape';

/**
 * Display-safe values from untrusted record members (user and role-session names, ARNs, targets,
 * session ids, document names, hosts, error codes). Each value becomes one clean line ({@link oneLine}),
 * secrets and personal data the shared detectors find are masked (`maskCommand`), then what detectors
 * need context for but an identifier never legitimately holds (e-mail addresses, long digit groups,
 * random-looking key material: shared/format/shape.ts) is masked with `mask`, the one masking
 * function. Values of the expected shape (instance ids, account ids, role and user ARNs, IP
 * addresses) come back unchanged.
 */

/** Longest value looked at: record members are short; anything longer is hostile or broken. */
const MAX_INPUT = 2048;

/** Display-safe form of an untrusted record value, or undefined when there is nothing to show. */
export function redactField(value: unknown, max = 256): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return remembered(value, max, redactValue);
}

/**
 * Results of recent values: a trail repeats the same principals, user agents and targets in most
 * records, and redaction runs every detector (bench classifyRatio: about a fifth of classify time).
 * Bounded: short values only, and the memo is emptied when full.
 */
const MEMO_MAX_ENTRIES = 2048;
const MEMO_MAX_VALUE = 512;
const memo = new Map<string, string | undefined>();

function remembered(value: string, max: number, compute: (value: string, max: number) => string | undefined) {
  if (value.length > MEMO_MAX_VALUE) return compute(value, max);
  const key = `${compute === redactValue ? 'r' : 'i'}${max}\u0000${value}`;
  if (memo.has(key)) return memo.get(key);
  const out = compute(value, max);
  if (memo.size >= MEMO_MAX_ENTRIES) memo.clear();
  memo.set(key, out);
  return out;
}

function redactValue(value: string, max: number): string | undefined {
  const line = oneLine(value.length > MAX_INPUT ? value.slice(0, MAX_INPUT) : value);
  if (line === '') return undefined;
  const arn = ARN.exec(line)?.[0];
  if (arn === undefined) return truncate(redactFree(line), max);
  // Path segment by segment, so a role path is not mistaken for one long base64 blob; a secret key
  // (which contains `/`) is looked for over the whole path first.
  const rest = line.slice(arn.length);
  // A URL in it is no resource path: split at its `/`, `user:password@host` would lose its scheme.
  if (rest.includes('://')) return truncate(`${arn}${redactFree(rest)}`, max);
  const resource = rewriteBase64Runs(rest, mask).split('/').map(redactFree).join('/');
  return truncate(`${arn}${resource}`, max);
}

/**
 * `arn:<partition>:<service>:<region>:<account>:`, every part of its own shape: this prefix is kept
 * as is and only the resource after it is redacted.
 */
const ARN = /^arn:aws(?:-[a-z]+){0,3}:[a-z0-9-]{0,40}:(?:[a-z]{2}(?:-[a-z]+){1,3}-\d{1,2})?:(?:\d{12}|aws)?:/;

function redactFree(text: string): string {
  if (text === '') return text;
  // maskCommand stars 40+ character mixed blobs, which an SSO role name with its hex suffix is.
  return rewriteSensitive(isWordsAndHex(text) ? text : maskCommand(text), mask);
}

/**
 * `AWSReservedSSO_AdministratorAccess_7a3c9e1f0b2d4c68`: parts joined by `_` or `-`, each letters only
 * or a lowercase hex word with a letter. Nothing a detector looks for fits that shape (no digit runs
 * outside hex, no `@`, `=`, `.` or key prefix with digits), so such a name skips the detectors.
 */
function isWordsAndHex(text: string): boolean {
  if (text.length > 128) return false;
  for (const part of text.split(/[_-]/)) {
    // Long upper-case runs excepted: an access-key id can be all letters (AKIA + 16 base32).
    if (/^[A-Za-z]+$/.test(part) && !/^[A-Z]{16,}$/.test(part)) continue;
    if (part.length <= 32 && /^[0-9a-f]+$/.test(part) && /[a-f]/.test(part)) continue;
    return false;
  }
  return true;
}

/** Characters of IAM/STS ARNs, role-session names and session ids (`[\w+=,.@-]`, plus `:` and `/` of ARNs). */
const IDENTITY = /^[\w+=,.@:/-]+$/;
/**
 * An e-mail address that is a whole identity segment: after the start or a `/`, before the end or the
 * `-<suffix>` of a session id (so `https://user:password@host` is not one). Bounded by `max`.
 */
const IDENTITY_EMAIL = /(^|\/)[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}(?=$|-)/g;

/** `-<suffix>` of a session id: 17 lowercase hex characters, or 26 lowercase letters and digits. */
const SESSION_SUFFIX = /-(?:[0-9a-f]{17}|[0-9a-z]{26})$/;
const CARD_RUN = /\d{13}/;

/**
 * Who acted: a principal ARN or name, or a session id (`<role-session name>-<suffix>`). For IAM
 * Identity Center users the role-session name is often their e-mail address: that address is the
 * actor's identity, which the responder matches against exemptions and terminates by, and which
 * alerts exist to show — so an e-mail there is kept as written. Everything else in the value is held
 * to the same rule as any record member: a value with a secret, a card or other key material in it,
 * or characters no identity has, is redacted by {@link redactField}.
 */
export function identityField(value: unknown, max = 256): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return remembered(value, max, identityValue);
}

function identityValue(value: string, max: number): string | undefined {
  if (value.length <= max && IDENTITY.test(value)) {
    // A session id's suffix is AWS's (17 hex or 26 base-36 characters): only the name before it is the caller's.
    // A card-length digit run there is not AWS's (about 1 suffix in 1000 has one: redacted then).
    const suffix = SESSION_SUFFIX.exec(value);
    const caller = suffix && !CARD_RUN.test(suffix[0]) ? value.slice(0, suffix.index) : value;
    const withoutEmail = caller.replace(IDENTITY_EMAIL, '$1user');
    if (withoutEmail === '' || redactField(withoutEmail, max) === withoutEmail) return value;
  }
  return redactField(value, max);
}

/** An IPv4 or IPv6 address (brackets and a zone id allowed). */
export function isIpAddress(text: string): boolean {
  if (text.length > 64) return false;
  const s = text.replace(/^\[|\]$/g, '').replace(/%[\w.-]{0,32}$/, '');
  return isIP(s) !== 0;
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/**
 * The remote host of a port forward: shown when it has the shape of a host name or an IP address and
 * nothing in it looks like a secret or personal data; anything else (an e-mail, a command, a token)
 * is masked whole with shared/mask.ts.
 */
export function hostField(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const host = oneLine(value.slice(0, 512));
  if (host === '') return undefined;
  const shaped = HOSTNAME.test(host) || isIpAddress(host);
  return shaped && redactField(host, 253) === host ? host : mask('HOST', host);
}

/** CloudTrail `errorCode` shape: `AccessDenied`, `Client.UnauthorizedOperation`, `ThrottlingException`. */
const ERROR_CODE = /^[A-Za-z][A-Za-z0-9.:_-]{0,63}$/;
/** What replaces an `errorCode` that is not one: the record still is a failed call. */
export const INVALID_ERROR_CODE = '(invalid error code)';

/** An AWS error code as written, or {@link INVALID_ERROR_CODE} when it does not have the shape of one. */
export function errorCodeField(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return ERROR_CODE.test(value) && redactField(value, 64) === value ? value : INVALID_ERROR_CODE;
}
