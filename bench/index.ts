/**
 * `npm run bench`: every number is measured against a floor taken in the same run on the same
 * machine, so ratios survive a slower or busier box. The last line printed is one JSON object.
 */
import { benchClassify, benchReplayRss } from './replay';

const only = new Set(process.argv.slice(2));
const want = (k: string) => only.size === 0 || only.has(k);

async function main() {
  const out: Record<string, unknown> = {
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
  };
  if (want('classify')) Object.assign(out, await benchClassify(log));
  if (want('transcript')) {
    const { benchTranscripts } = await import('./transcripts');
    Object.assign(out, await benchTranscripts(log));
  }
  if (want('longlines')) {
    const { benchLambdaDelivery, benchLongLines, benchTranscript20MB } = await import('./long-lines');
    Object.assign(out, await benchLongLines(log));
    Object.assign(out, await benchLambdaDelivery(log));
    Object.assign(out, await benchTranscript20MB(log));
  }
  if (want('comprehend')) {
    const { benchComprehend } = await import('./comprehend');
    const r = await benchComprehend('test/fixtures/sessions');
    out.comprehendUnitsVsFloor = r.comprehendUnitsVsFloor;
    out.comprehendUnitsVsNaive = r.comprehendUnitsVsNaive;
    out.comprehendMode = r.comprehendMode;
    out.comprehendDetail = r.detail;
  }
  if (want('handlers')) {
    const { benchHandlers } = await import('./handlers');
    out.handlers = await benchHandlers();
  }
  if (want('replay')) Object.assign(out, await benchReplayRss(log));
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function log(msg: string) {
  process.stderr.write(`bench: ${msg}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
