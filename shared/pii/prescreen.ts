import { appendDetections, countedHits, type DetectionList } from '../detect/limits';
import { createLocalPiiDetector } from '../detect/pii-local';
import { secretDetector } from '../detect/secrets';
import type { Config } from '../model/config';
import type { Detection, Detector, DetectorState, PiiScanner, TranscriptLine } from '../transcript/types';
import { residualOf } from './residual';
import type { ComprehendPiiScanner, ScanOptions } from './scanner';
import type { PiiStats } from './types';

const LOCAL_KEY = 'local';

/**
 * Comprehend with the offline pre-screen (`config.pii.localPrescreen`): the offline detector reports
 * the structured values (e-mail, phone, SSN, card, IBAN) itself, and Comprehend gets only the rest of
 * each text (see `residual.ts`) for what only it can find (names, addresses, dates…).
 *
 * Nothing the offline detectors report is sent: every occurrence of a value reported on a line (by
 * the PII detector, or by the secret detector that the transcript engine runs anyway) is cut from
 * that line's text. When Comprehend fails, the scan rejects and the local state is left as it was,
 * so the retried delivery is scanned again, local detections included.
 */
export class PrescreenedPiiScanner implements PiiScanner {
  readonly name = 'comprehend-prescreen';
  private readonly local: Detector;

  constructor(
    private readonly comprehend: ComprehendPiiScanner,
    config: Config,
  ) {
    this.local = createLocalPiiDetector(config);
  }

  /** What Comprehend billed. */
  get stats(): PiiStats {
    return this.comprehend.stats;
  }

  async scan(
    lines: readonly TranscriptLine[],
    state: DetectorState,
    sessionId: string,
    options: Pick<ScanOptions, 'final'> = {},
  ): Promise<Detection[]> {
    const localState = copyState(state[LOCAL_KEY]);
    const local = this.local.scan(lines, localState);
    // A fresh state finds no more than the engine's own secret detector, which keeps context.
    const known = valuesByLine(local);
    addValues(known, secretDetector.scan(lines, {}));
    const residual = (line: TranscriptLine, text: string): string =>
      residualOf(text, occurrences(text, known.get(line.n))).text;
    const remote = await this.comprehend.scan(lines, state, sessionId, { ...options, residual });
    state[LOCAL_KEY] = localState;
    // Loops, not spreads: a delivery's detections can be many. Counts past the per-line cap go along.
    const out: DetectionList = [];
    appendDetections(out, local);
    for (const r of withoutLocal(remote, local)) out.push(r);
    return out;
  }

  /** Send whatever Comprehend holds back for the session (end of input). */
  flush(state: DetectorState, sessionId: string): Promise<Detection[]> {
    return this.scan([], state, sessionId, { final: true });
  }
}

function copyState(raw: unknown): DetectorState {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  return structuredClone(raw) as DetectorState;
}

function valuesByLine(detections: readonly Detection[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  addValues(out, detections);
  return out;
}

function addValues(out: Map<number, string[]>, detections: readonly Detection[]): void {
  for (const d of detections) {
    if (!d.value) continue;
    const list = out.get(d.line);
    if (list) list.push(d.value);
    else out.set(d.line, [d.value]);
  }
}

/** Every [start, end) where one of `values` occurs in `text`. */
export function occurrences(text: string, values: readonly string[] | undefined): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const v of values ?? []) {
    if (!v) continue;
    for (let i = text.indexOf(v); i >= 0; i = text.indexOf(v, i + v.length)) out.push([i, i + v.length]);
  }
  return out;
}

/**
 * A Comprehend entity of a structured type that a local detection on the same line already covers
 * (one value contains the other) is the same item: the local one is kept.
 */
function withoutLocal(remote: readonly Detection[], local: readonly Detection[]): readonly Detection[] {
  // Kinds the local detector only counted on a line (past its per-line cap) are counted already.
  const counted = new Set(countedHits(local).map((c) => `${c.line}|${c.kind}`));
  if (!local.length && counted.size === 0) return remote;
  const byLine = new Map<number, Detection[]>();
  for (const l of local) {
    const list = byLine.get(l.line);
    if (list) list.push(l);
    else byLine.set(l.line, [l]);
  }
  return remote.filter(
    (r) =>
      !counted.has(`${r.line}|${r.kind}`) &&
      !(byLine.get(r.line) ?? []).some((l) => {
        if (l.line !== r.line || l.kind !== r.kind) return false;
        const a = squash(l.value);
        const b = squash(r.value);
        return a.length > 0 && b.length > 0 && (a.includes(b) || b.includes(a));
      }),
  );
}

function squash(value: string): string {
  return value.toLowerCase().replace(/[^\p{L}\p{N}@]/gu, '');
}
