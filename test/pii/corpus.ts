import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codePoints } from '#shared/pii/pack';
import type { PiiDetectApi, PiiEntity } from '#shared/pii/types';
import { readSubscription } from '#shared/transcript/read';
import { normaliseLines } from '#shared/transcript/terminal';
import type { TranscriptLine } from '#shared/transcript/types';

export const SESSIONS = join(import.meta.dirname, '..', 'fixtures', 'sessions');

export interface Label {
  kind: string;
  subtype: string;
  value: string;
}

export function sessionLabels(session: string): Label[] {
  return (JSON.parse(readFileSync(join(SESSIONS, session, 'labels.json'), 'utf8')) as { labels: Label[] })
    .labels;
}

/** Session lines as the transcript scanner would hand them over, one array per delivery. */
export function deliveries(session: string): TranscriptLine[][] {
  const dir = join(SESSIONS, session, 'subscription');
  let n = 1;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const { chunks } = readSubscription(JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
      const raw = chunks.flatMap((c) => c.events.flatMap((e) => e.text.split('\n')));
      return normaliseLines(raw).map((l) => ({ n: n++, text: l.text, erased: l.erased }));
    });
}

/** Answers as the service would for the planted values: every occurrence in the request text. */
export class LabelledComprehend implements PiiDetectApi {
  readonly requests: string[] = [];
  constructor(private readonly labels: readonly Label[]) {}

  async detect(text: string): Promise<PiiEntity[]> {
    this.requests.push(text);
    const out: PiiEntity[] = [];
    for (const l of this.labels) {
      for (let i = text.indexOf(l.value); i >= 0; i = text.indexOf(l.value, i + 1)) {
        const begin = codePoints(text.slice(0, i));
        out.push({
          Type: l.subtype,
          Score: 0.97,
          BeginOffset: begin,
          EndOffset: begin + codePoints(l.value),
        });
      }
    }
    return out;
  }
}
