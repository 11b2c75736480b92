import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';
import { readTranscriptFile } from '#shared/transcript/read';
import type { Detector, ItemError, PiiScanner } from '#shared/transcript/types';
import { type CarriedContext, carried, scan } from './carried';

/** The copied session corpus (see PROVENANCE.md there). */
export const CORPUS = join(import.meta.dirname, '../fixtures/sessions');

/**
 * The same scenarios recorded with two prompt styles: decorated (`[user@host ~]$ `, `sh-5.2$ `) and
 * bare (`$ ` / `# `, Ubuntu's dash; a subset of the files, see its PROVENANCE.md).
 */
export type Variant = 'decorated' | 'bare';
export const VARIANTS: Variant[] = ['decorated', 'bare'];
const ROOTS: Record<Variant, string> = {
  decorated: CORPUS,
  bare: join(import.meta.dirname, '../fixtures/sessions-bare'),
};

export interface Label {
  kind: 'pii' | 'secret' | 'risky-command';
  subtype: string;
  value: string;
  executed: boolean;
  appears_in: 'raw' | 'streaming' | 'both' | 'none';
}

export interface Scenario {
  name: string;
  sessionId: string;
  labels: Label[];
}

export type Shape = 's3' | 's3-agent' | 'streaming' | 'subscription';
/** Which shapes hold the raw pty stream and which the agent's cleaned streaming text. */
export const RAW_SHAPES: Shape[] = ['s3', 's3-agent'];
export const STREAMING_SHAPES: Shape[] = ['streaming', 'subscription'];

export function scenarios(variant: Variant = 'decorated'): Scenario[] {
  const root = ROOTS[variant];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const labels = JSON.parse(readFileSync(join(root, d.name, 'labels.json'), 'utf8'));
      return { name: d.name, sessionId: labels.sessionId, labels: labels.labels };
    });
}

/** The files of one shape of a scenario (several for subscription deliveries), in delivery order. */
export function shapeFiles(scenario: string, shape: Shape, variant: Variant = 'decorated'): string[] {
  const dir = join(ROOTS[variant], scenario);
  if (shape === 'streaming') return [join(dir, 'streaming.jsonl')];
  const sub = join(dir, shape === 'subscription' ? 'subscription' : shape);
  if (!existsSync(sub)) return [];
  return readdirSync(sub)
    .sort()
    .map((f) => join(sub, f));
}

export function shapesOf(scenario: string, variant: Variant = 'decorated'): Shape[] {
  return (['s3', 's3-agent', 'streaming', 'subscription'] as Shape[]).filter(
    (s) => shapeFiles(scenario, s, variant).length,
  );
}

export function labelShapes(label: Label, available: Shape[]): Shape[] {
  const want =
    label.appears_in === 'both'
      ? [...RAW_SHAPES, ...STREAMING_SHAPES]
      : label.appears_in === 'raw'
        ? RAW_SHAPES
        : label.appears_in === 'streaming'
          ? STREAMING_SHAPES
          : [];
  return want.filter((s) => available.includes(s));
}

/**
 * Read and scan every file of a shape with one carried state per session, as the Lambda (deliveries) or
 * the CLI (files) would. Findings re-emitted by later deliveries replace earlier ones (same id).
 */
export async function scanShape(
  scenario: string,
  shape: Shape,
  detectors: Detector[],
  pii?: PiiScanner,
  variant: Variant = 'decorated',
): Promise<{ findings: Finding[]; errors: ItemError[]; ctx: CarriedContext }> {
  const ctx = carried({ config: DEFAULT_CONFIG, pii });
  const byId = new Map<string, Finding>();
  const errors: ItemError[] = [];
  for (const file of shapeFiles(scenario, shape, variant)) {
    const read = readTranscriptFile(readFileSync(file), file);
    errors.push(...read.errors);
    for (const chunk of read.chunks) {
      const r = await scan(chunk, ctx, detectors);
      errors.push(...r.errors);
      for (const f of r.findings) byId.set(f.id, f);
    }
  }
  return { findings: [...byId.values()], errors, ctx };
}
