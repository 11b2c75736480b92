/**
 * Handler cold-start cost: each Lambda entry bundled as the stack bundles it (esbuild, minified ESM,
 * node22, `@aws-sdk/*` left to the Lambda runtime as NodejsFunction does by default), its size, and the
 * time to import it in a fresh Node process against a floor bundle that only imports and constructs
 * the same AWS SDK clients (median of interleaved runs).
 * Goals: bundleKB ≤ 600, importRatio ≤ 1.25.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

export interface HandlerBench {
  bundleKB: number;
  importRatio: number;
  importMs: number;
  floorMs: number;
  floorKB: number;
  sdkClients: string[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS = [
  'session-events',
  'transcripts',
  'transcript-sweep',
  'notifier',
  'alert-digest',
  'slack-actions',
  'slack',
  'responder',
  'securityhub',
];
const RUNS = 9;
/** Same banner as the stack's bundling: CommonJS dependencies may still call require. */
const BANNER =
  "import { createRequire as __sentinelCreateRequire } from 'node:module';" +
  'const require = __sentinelCreateRequire(import.meta.url);';
/** Clients the SDK's credential chain pulls in by itself: part of any client, not a handler's choice. */
const INTERNAL_CLIENTS = new Set(['client-sso', 'client-sso-oidc', 'client-sts', 'client-cognito-identity']);
/** What the handlers read at start-up; values only need to pass validation. */
const CHILD_ENV = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 'bench',
  BUS_NAME: 'bench',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench',
  SLACK_WEBHOOK_SECRET: 'bench',
  SLACK_SIGNING_SECRET: 'bench',
  PII_MODE: 'comprehend',
};

async function bundle(outfile: string, entry: { file: string } | { code: string }): Promise<Metafile> {
  const result = await build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.code, resolveDir: ROOT, sourcefile: 'floor.ts', loader: 'ts' } }),
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    metafile: true,
    // The nodejs22.x runtime ships SDK v3; the stack leaves it out of the bundles too.
    external: ['@aws-sdk/*'],
    logLevel: 'silent',
  });
  return result.metafile;
}

/** SDK client packages in a bundle, e.g. `client-dynamodb`, `lib-dynamodb`. */
function sdkClients(meta: Metafile): string[] {
  const found = new Set<string>();
  for (const input of Object.values(meta.inputs)) {
    for (const imp of input.imports) {
      const m = /^@aws-sdk\/((?:client-[a-z0-9-]+)|lib-dynamodb)$/.exec(imp.path);
      if (m?.[1] && !INTERNAL_CLIENTS.has(m[1])) found.add(m[1]);
    }
  }
  return [...found].sort();
}

/** A module that imports and constructs each client, as a handler does at start-up. */
async function floorSource(packages: readonly string[]): Promise<string> {
  const lines: string[] = [];
  const names: string[] = [];
  for (const pkg of packages) {
    const mod = (await import(`@aws-sdk/${pkg}`)) as Record<string, unknown>;
    const client = Object.keys(mod).find((k) => k.endsWith('Client') && !k.startsWith('__'));
    if (!client) continue;
    lines.push(`import { ${client} } from '@aws-sdk/${pkg}';`);
    names.push(client);
  }
  const make = names.map((n) =>
    n === 'DynamoDBDocumentClient' ? 'DynamoDBDocumentClient.from(new DynamoDBClient({}))' : `new ${n}({})`,
  );
  lines.push(`export const clients = [${make.join(', ')}];`);
  return lines.join('\n');
}

/** Milliseconds to import a bundle in a fresh process (module evaluation only, not Node start-up). */
function importMs(file: string): number {
  const code =
    'const t0 = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t0));';
  let out: string;
  try {
    out = execFileSync(process.execPath, ['--input-type=module', '-e', code, file], {
      env: { PATH: process.env.PATH ?? '', ...CHILD_ENV },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    const last = stderr.trim().split('\n').filter(Boolean).at(-1) ?? String(e);
    throw new Error(`importing ${file} failed: ${last}`);
  }
  const ms = Number(out);
  if (!Number.isFinite(ms)) throw new Error(`importing ${file} printed no time`);
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export async function benchHandlers(runs = RUNS): Promise<Record<string, HandlerBench>> {
  // Inside the repository so the external SDK resolves from node_modules.
  mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'bench', 'out', 'handlers-'));
  const out: Record<string, HandlerBench> = {};
  try {
    for (const name of HANDLERS) {
      const entry = join(ROOT, 'functions', name, 'handler.ts');
      if (!existsSync(entry)) continue;
      const file = join(dir, `${name}.mjs`);
      const clients = sdkClients(await bundle(file, { file: entry }));
      const floor = join(dir, `${name}.floor.mjs`);
      await bundle(floor, { code: await floorSource(clients) });
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const handlerTimes: number[] = [];
      const floorTimes: number[] = [];
      // Interleave so a busy moment on the machine hits both sides alike.
      for (let i = 0; i < runs; i++) {
        handlerTimes.push(importMs(file));
        floorTimes.push(importMs(floor));
      }
      const h = median(handlerTimes);
      const f = median(floorTimes);
      out[name] = {
        bundleKB: round(statSync(file).size / 1024, 1),
        importRatio: round(h / f, 2),
        importMs: round(h, 1),
        floorMs: round(f, 1),
        floorKB: round(statSync(floor).size / 1024, 1),
        sdkClients: clients,
      };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchHandlers().then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`bench handlers failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
