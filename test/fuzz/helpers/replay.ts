import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type ReplayOptions, replay } from '#cli/replay';
import { DEFAULT_CONFIG } from '#shared/model/config';
import type { Finding } from '#shared/model/finding';

export interface ReplayRun {
  out: string;
  err: string;
  exitCode: number;
  /** Set when replay itself rejected: a crash of the in-process CLI. */
  threw?: string;
  /** Findings parsed from stdout (with --json). */
  findings: Finding[];
}

/**
 * A replay that has not settled after this long is reported as hung (a lost promise after a stack
 * overflow never settles); generous, so a loaded machine does not trip it.
 */
const HUNG_MS = 8_000;

/** `replay` in-process as the CLI calls it, capturing stdout and stderr (no progress line). */
export async function runReplay(paths: string[], extra: Partial<ReplayOptions> = {}): Promise<ReplayRun> {
  let out = '';
  let err = '';
  const opts: ReplayOptions = {
    paths,
    json: true,
    config: DEFAULT_CONFIG,
    targetTags: {},
    pii: 'local',
    stats: false,
    ...extra,
  };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`replay did not settle within ${HUNG_MS / 1000} s (hung)`)),
      HUNG_MS,
    );
  });
  try {
    const run = replay(opts, {
      out: (s) => {
        out += s;
      },
      err: (s) => {
        err += s;
      },
      progress: false,
      width: 160,
    });
    const r = await Promise.race([run, hung]);
    return { out, err, exitCode: r.exitCode, findings: opts.json ? parseFindings(out) : [] };
  } catch (e) {
    const threw = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
    return { out, err, exitCode: -1, threw, findings: [] };
  } finally {
    clearTimeout(timer);
  }
}

function parseFindings(out: string): Finding[] {
  const findings: Finding[] = [];
  for (const line of out.split('\n')) if (line.trim()) findings.push(JSON.parse(line) as Finding);
  return findings;
}

/**
 * A scratch directory for the calling test file, removed after it; `file(name, bytes)` writes a
 * file there (in a fresh sub-directory per call when `fresh`, so names can repeat).
 */
export function useScratch(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), `sentinel-fuzz-${prefix}-`));
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return {
    root,
    file(name: string, bytes: Buffer | string): string {
      const dir = join(root, String(++n));
      mkdirSync(dir);
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    dir(files: Record<string, Buffer | string>): string {
      const dir = join(root, String(++n));
      mkdirSync(dir);
      for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
      return dir;
    },
  };
}
