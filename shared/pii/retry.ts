/**
 * How the scanner handles a failed detect call: retry it later (`transient`), split the document
 * (`too-large`) or give up (`permanent`). The adapter decides, since only it knows the service's
 * errors (shared/aws/comprehend.ts), and says so in the `failure` member of the error it throws; an
 * error without one is permanent.
 */
export type FailureKind = 'transient' | 'too-large' | 'permanent';

const KINDS: ReadonlySet<string> = new Set<FailureKind>(['transient', 'too-large', 'permanent']);

export function failureOf(err: unknown): FailureKind {
  const failure =
    typeof err === 'object' && err !== null ? (err as { failure?: unknown }).failure : undefined;
  return typeof failure === 'string' && KINDS.has(failure) ? (failure as FailureKind) : 'permanent';
}

export function errorName(err: unknown): string {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name ? name : 'Error';
}
