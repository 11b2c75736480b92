import { once } from 'node:events';
import { describeError } from '#shared/errors';
import { main } from './commands';

/** The process entry of `ssm-sentinel` (cli/bin.js loads it): the commands run against the real streams. */
main(process.argv.slice(2), {
  // Respect back-pressure: stdout to a pipe is asynchronous and would buffer without bound.
  out: (s) => (process.stdout.write(s) ? undefined : once(process.stdout, 'drain').then(() => undefined)),
  err: (s) => {
    process.stderr.write(s);
  },
  // Only touched when `-` is given: an unused stdin stays closed.
  stdin: () => process.stdin,
  progress: process.stderr.isTTY === true,
  width: process.stdout.columns || 200,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // Last resort: never a stack trace for users.
    process.stderr.write(`ssm-sentinel: ${describeError(e)}\n`);
    process.exitCode = 2;
  },
);
