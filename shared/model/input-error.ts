/**
 * An error whose message we wrote ourselves: it names a field and a problem, never a value, so it is
 * safe to print, log, store or throw into a dead-letter queue as is. A leaf module (re-exported by
 * shared/errors.ts) so the config schema can throw it without importing the detectors.
 */
export class InputError extends Error {
  override readonly name: string = 'InputError';
}
