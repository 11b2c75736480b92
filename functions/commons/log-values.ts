import { UUID } from '#shared/format/shape';
import { mask, maskCommand } from '#shared/mask';

/**
 * Values from an event that a log line may carry: identifiers, and only when they have the shape the
 * service gives them. Anything else is logged as `invalid` (the event itself is in the dead-letter
 * queue for whoever needs it), never as a hash: a short hash of an e-mail or SSN can be looked up.
 * Every test is a length check plus an anchored pattern over a bounded string (linear).
 */

export const INVALID = 'invalid';

/** CloudTrail `eventID`, SNS `MessageId`. */
/** CloudTrail `eventName` and `errorCode`: CamelCase words, error codes with a dotted prefix. */
const API_NAME = /^[A-Z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)*$/;
/** Finding, rule and session ids, log event ids: no blanks, no punctuation that text would need. */
const REF = /^[A-Za-z0-9][\w.:@+=,/-]*$/;
const MAX_REF = 128;
/** Capitals and digits only, key length: access key ids and their look-alikes, whatever the mask says. */
const KEY_LIKE = /[A-Z0-9]{16}/;

/** A UUID, `invalid`, or undefined when absent. */
export function uuidRef(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : INVALID;
}

/**
 * An AWS API or error name (`StartSession`, `AccessDenied`, `Client.UnauthorizedOperation`),
 * `invalid`, or undefined when absent. Access key ids and tokens are all capitals and digits or carry
 * `_`: the lower-case pair and the mask check keep them out.
 */
export function apiName(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > 64 || !API_NAME.test(value)) return INVALID;
  if (!/[a-z]{2}/.test(value) || maskCommand(value) !== value) return INVALID;
  return value;
}

/**
 * An identifier for a log line (finding id, rule id, session id), `invalid`, or undefined when
 * absent. A session id starts with the caller's name, which is often an e-mail address: that part is
 * masked as one. Anything the mask would change (a key, a card, an SSN) is not an identifier.
 */
export function ref(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_REF || !REF.test(value)) return INVALID;
  if (KEY_LIKE.test(value)) return INVALID;
  const masked = value.includes('@') ? mask('EMAIL', value) : value;
  return maskCommand(masked) === masked ? masked : INVALID;
}
