import { describeError, InputError, redact } from '#shared/errors';
import { Metric } from '#shared/metrics';
import { count } from './metrics';
import { logger } from './powertools';

/**
 * How every handler reports what it cannot process: one log line naming the field and the problem
 * (never a value), one `Failed` metric, and an error safe to throw. Thrown out of an asynchronous
 * invocation it makes the platform retry and then put the event in the function's dead-letter queue,
 * with the error's message as the DLQ message's `ErrorMessage`, so that message quotes nothing either.
 */

/** A failure that is already logged and counted; its name and message carry no input value. */
export class ReportedError extends InputError {
  override readonly name: string;
  constructor(message: string, name = 'ReportedError') {
    super(message);
    this.name = name;
  }
}

/** Names of errors worth keeping (`CredentialError`, `AccessDeniedException`); anything else is `Error`. */
const ERROR_NAME = /^[A-Za-z][\w.]{0,63}$/;

function errorName(e: unknown): string {
  const name = typeof e === 'object' && e !== null ? (e as { name?: unknown }).name : undefined;
  return typeof name === 'string' && ERROR_NAME.test(name) ? name : 'Error';
}

/**
 * A malformed input: logged as `what` with the problem (text from the core or a schema, made safe
 * again here: quoted parts removed, secrets masked), counted, and returned for the caller to throw.
 */
export function rejectInput(
  what: string,
  problem: string,
  context: Record<string, string | number | undefined> = {},
): ReportedError {
  const safe = redact(problem) || 'invalid';
  logger.error(what, { ...context, problem: safe });
  count(Metric.Failed);
  return new ReportedError(`${what}: ${safe}`, 'MalformedEvent');
}

/** A failed call or step: logged as `what` with the error's safe description, counted, returned to throw. */
export function reportFailure(
  what: string,
  error: unknown,
  context: Record<string, string | number | undefined> = {},
): ReportedError {
  if (error instanceof ReportedError) return error;
  const description = describeError(error);
  logger.error(what, { ...context, error: description });
  count(Metric.Failed);
  return new ReportedError(description, errorName(error));
}

/**
 * The handler's body with a last line of defence: whatever escapes it unreported (an SDK error, a bug)
 * is logged and counted once and rethrown as a {@link ReportedError}, never with its raw message.
 */
export function reportingFailures<A extends unknown[]>(
  main: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await main(...args);
    } catch (e) {
      throw reportFailure('invocation failed', e);
    }
  };
}
