import { field } from './format/sanitize';
import { rewriteSensitive } from './format/shape';
import { mask, maskCommand } from './mask';
import { InputError } from './model/input-error';
import { type IssueLike, zodMessage } from './model/issues';

export { InputError, type IssueLike, zodMessage };

/**
 * Errors that are safe to print, log, throw into a dead-letter queue or store. Our own messages name
 * the field and the problem, never the value ({@link InputError}); anything else (a V8 message, a
 * library's, an AWS service's) may quote its input — `JSON.parse` quotes 10 characters, SDK
 * validation errors echo parameters — so it is reduced to its name plus a message with every quoted
 * part removed, secrets and personal data masked, and control characters stripped.
 */

const MAX_MESSAGE = 200;
/** Our own messages may list several problems (a configuration with three bad keys). */
const MAX_OWN = 1000;

/** Node system error codes worth a readable phrase (file inputs). */
const SYSTEM_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  Z_DATA_ERROR: 'corrupt gzip data',
  Z_BUF_ERROR: 'truncated gzip data',
  ERR_STRING_TOO_LONG: 'text too large to decode',
};

/**
 * One line describing `e` that carries no raw value: safe for stderr, a log line, a thrown error that
 * lands in a DLQ, a finding or a state item.
 */
export function describeError(e: unknown): string {
  try {
    return describe(e);
  } catch {
    // A hostile thrown value (a proxy, a getter that throws) must not escape the one place meant to tame it.
    return 'unknown error';
  }
}

function describe(e: unknown): string {
  // Our own messages keep their quoted key names; identifier masking still applies, in case a writer slipped.
  if (e instanceof InputError) return field(rewriteSensitive(e.message.slice(0, 4 * MAX_OWN), mask), MAX_OWN);
  if (e instanceof SyntaxError && /JSON/.test(e.message.slice(0, 400)))
    return jsonProblem(e.message.slice(0, 400));
  if (typeof e !== 'object' || e === null) return 'unknown error';
  const o = e as { name?: unknown; code?: unknown; message?: unknown; $metadata?: unknown; issues?: unknown };
  const code = typeof o.code === 'string' ? o.code : undefined;
  if (code && Object.hasOwn(SYSTEM_CODES, code)) return SYSTEM_CODES[code]!;
  const name =
    typeof o.name === 'string' && o.name ? clean(masked(o.name.slice(0, 80))).slice(0, 80) : 'Error';
  // zod errors: their message is the issue list as JSON; say which members failed and why instead.
  if (name === 'ZodError' && Array.isArray(o.issues)) {
    return clean(`invalid input: ${zodMessage(o.issues as IssueLike[], { max: 3 })}`);
  }
  // AWS SDK errors: the exception name says what happened; their messages may echo request values.
  if (o.$metadata !== undefined) {
    const status = (o.$metadata as { httpStatusCode?: unknown }).httpStatusCode;
    return typeof status === 'number' ? `${name} (HTTP ${status})` : name;
  }
  const message = typeof o.message === 'string' ? redact(o.message) : '';
  return message ? `${name}: ${message}` : name;
}

/** `JSON.parse` errors quote the input: keep only the kind of problem and its position. */
function jsonProblem(message: string): string {
  const position = /position (\d+)/.exec(message)?.[1];
  const line = /line (\d+) column (\d+)/.exec(message);
  let where = '';
  if (line) where = ` at line ${line[1]} column ${line[2]}`;
  else if (position !== undefined) where = ` at position ${position}`;
  let kind = 'invalid JSON';
  if (/Unexpected end of JSON input|Unterminated string/.test(message)) kind = 'truncated JSON';
  else if (/Bad control character/.test(message)) kind = 'invalid JSON (control character in a string)';
  else if (/Unexpected non-whitespace character after JSON/.test(message))
    kind = 'invalid JSON (data after the value)';
  return `${kind}${where}`;
}

/**
 * Free text from elsewhere, made safe: quoted parts go (they are where messages echo input), then
 * secrets and personal data are masked and control characters stripped.
 */
export function redact(message: string): string {
  const firstLine = message.slice(0, 4 * MAX_MESSAGE).split('\n', 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"?|'[^']*'?|`[^`]*`?/g, '…');
  return clean(masked(unquoted));
}

/** Secrets and personal data masked: the shared detectors, then the identifier heuristics. */
function masked(text: string): string {
  return rewriteSensitive(maskCommand(text), mask);
}

function clean(s: string): string {
  return field(s, MAX_MESSAGE);
}
