import { scanTranscript } from '#shared/transcript/scan';
import type {
  Detector,
  ScanResult,
  TranscriptCarry,
  TranscriptChunk,
  TranscriptContext,
} from '#shared/transcript/types';

/**
 * A scan context that keeps each session's carry-over between scans, as the pipeline saves it (only
 * what a result returns), without any store: the scan itself does no I/O.
 */
export interface CarriedContext extends Omit<TranscriptContext, 'carry'> {
  carries: Map<string, TranscriptCarry>;
}

export function carried(ctx: Omit<TranscriptContext, 'carry'>): CarriedContext {
  return { ...ctx, carries: new Map() };
}

/** Scan one chunk with its session's carried state and keep the state the scan returns. */
export async function scan(
  chunk: TranscriptChunk,
  ctx: CarriedContext,
  detectors: Detector[],
): Promise<ScanResult> {
  const { carries, ...rest } = ctx;
  const r = await scanTranscript(chunk, { ...rest, carry: carries.get(chunk.sessionId) }, detectors);
  if (r.carry) carries.set(chunk.sessionId, r.carry);
  return r;
}
