import { maskCommand } from './mask';
import { field } from './format/sanitize';

/**
 * Errors that are safe to print, log, throw into a dead-letter queue or store. Our own messages name
 * the field and the problem, never the value ({@link InputError}); anything else (a V8 message, a
 * library's, an AWS service's) may quote its input — `JSON.parse` quotes 10 characters, SDK
 * validation errors echo parameters — so it is reduced to its name plus a message with every quoted
 * part removed, secrets and personal data masked, and control characters stripped.
 */

const MAX_MESSAGE = 200;

/** An error whose message we wrote ourselves: it names a field and a problem, never a value. */
export class InputError extends Error {
  override readonly name: string = 'InputError';
}

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
  if (e instanceof InputError) return clean(e.message);
  if (e instanceof SyntaxError && /JSON/.test(e.message)) return jsonProblem(e.message);
  if (typeof e !== 'object' || e === null) return 'unknown error';
  const o = e as { name?: unknown; code?: unknown; message?: unknown; $metadata?: unknown };
  const code = typeof o.code === 'string' ? o.code : undefined;
  if (code && SYSTEM_CODES[code]) return SYSTEM_CODES[code];
  const name = typeof o.name === 'string' && o.name ? clean(o.name).slice(0, 80) : 'Error';
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
  else if (/Unexpected non-whitespace character after JSON/.test(message)) kind = 'invalid JSON (data after the value)';
  return `${kind}${where}`;
}

/**
 * Free text from elsewhere, made safe: quoted parts go (they are where messages echo input), then
 * secrets and personal data are masked and control characters stripped.
 */
export function redact(message: string): string {
  const firstLine = message.slice(0, 4 * MAX_MESSAGE).split('\n', 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"?|'[^']*'?|`[^`]*`?/g, '…');
  return clean(maskCommand(unquoted));
}

function clean(s: string): string {
  return field(s, MAX_MESSAGE);
}
