import { codePoints } from '#shared/pii/pack';
import type { PiiDetectApi, PiiEntity } from '#shared/pii/types';

/**
 * A Comprehend stand-in that answers from the text it actually receives, as the service would:
 * e-mails, SSN-shaped numbers and a few known names, with code-point offsets (EndOffset exclusive).
 */
const PATTERNS: Array<[string, RegExp]> = [
  // The lookbehind starts a match only where a local part starts (the same matches as without it):
  // otherwise a 100 KB run of word characters cost a rescan from every position (10 s).
  ['EMAIL', /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g],
  ['SSN', /\b\d{3}-\d{2}-\d{4}\b/g],
  ['NAME', /\b(?:Patricia Brown|Zhang Wei|José Núñez)\b/g],
];

export function findEntities(text: string): PiiEntity[] {
  const out: PiiEntity[] = [];
  for (const [type, re] of PATTERNS) {
    // Code points counted incrementally from the previous match, not from the start each time.
    let at = 0;
    let points = 0;
    for (const m of text.matchAll(re)) {
      points += codePoints(text.slice(at, m.index));
      at = m.index;
      out.push({ Type: type, Score: 0.99, BeginOffset: points, EndOffset: points + codePoints(m[0]) });
    }
  }
  return out.sort((a, b) => a.BeginOffset - b.BeginOffset);
}

/** Records every request; `failures` are thrown, in order, before answering. */
export class FakeComprehend implements PiiDetectApi {
  readonly requests: string[] = [];
  readonly failures: unknown[] = [];
  calls = 0;

  async detect(text: string): Promise<PiiEntity[]> {
    this.calls++;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.requests.push(text);
    return findEntities(text);
  }
}

export function awsError(name: string, message: string, status?: number): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });
}
