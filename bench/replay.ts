import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySessionStore, MemoryWindowStore, StaticTagSource } from '#cli/state';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { classifyRecord } from '#shared/pipeline/record';
import { best, round } from './measure';

type Log = (msg: string) => void;

/**
 * A synthetic CloudTrail archive made at bench time from the real records in test/fixtures
 * (never committed): mostly unrelated API calls, as in a real trail, plus session events of every
 * kind with varied ids, source addresses, documents and errors.
 */
export function recordPool(): object[] {
  const dir = 'test/fixtures/cloudtrail';
  const stratus = JSON.parse(
    readFileSync(join(dir, 'stratus-ssm-start-session.detonation.json'), 'utf8'),
  ) as Array<Record<string, unknown>>;
  const start = JSON.parse(readFileSync(join(dir, 'attacker-cloudtrail.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const noise = stratus.filter((r) => r.eventName === 'DescribeInstanceInformation');
  const sessionRecords = stratus.filter((r) => r.eventName !== 'DescribeInstanceInformation');
  const variants: object[] = [];
  const docs = [
    undefined,
    'AWS-StartPortForwardingSession',
    'AWS-StartPortForwardingSessionToRemoteHost',
    'AWS-StartSSHSession',
    'AWS-StartInteractiveCommand',
  ];
  for (let i = 0; i < 40; i++) {
    const r = structuredClone(start);
    r.sourceIPAddress = `198.51.100.${i}`;
    const doc = docs[i % docs.length];
    const params: Record<string, unknown> = { ...(r.requestParameters as Record<string, unknown>) };
    if (doc) params.documentName = doc;
    else delete params.documentName;
    if (doc?.startsWith('AWS-StartPortForwarding')) {
      params.parameters = { portNumber: [String([5432, 8080, 3306][i % 3])], host: ['db.internal'] };
    }
    r.requestParameters = params;
    if (i % 7 === 0) {
      r.errorCode = 'AccessDenied';
      r.errorMessage = 'User is not authorized to perform: ssm:StartSession';
      r.responseElements = null;
    }
    variants.push(r);
  }
  // ~1 in 4 records is a session event: a busy Session Manager account.
  return [...noise, ...noise, ...noise, ...sessionRecords, ...variants];
}

function archiveText(records: number): string {
  const pool = recordPool();
  const out: string[] = [];
  for (let i = 0; i < records; i++) {
    const r = { ...(pool[i % pool.length] as Record<string, unknown>) };
    r.eventID = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    r.eventTime = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    out.push(JSON.stringify(r));
  }
  return `{"Records":[${out.join(',')}]}`;
}

/** classifyRatio = time(JSON.parse of the file) / time(JSON.parse + classify of every record). */
export async function benchClassify(log: Log) {
  const text = archiveText(20_000);
  log(`classify: ${(text.length / 1e6).toFixed(1)} MB, 20000 records`);
  const parseMs = await best(5, () => void JSON.parse(text));
  const classifyMs = await best(5, async () => {
    const { Records } = JSON.parse(text) as { Records: unknown[] };
    const deps = {
      ctx: { config: DEFAULT_CONFIG },
      sessions: new MemorySessionStore(),
      windows: new MemoryWindowStore(),
      tags: new StaticTagSource({}),
    };
    for (const r of Records) await classifyRecord(r, deps);
  });
  return {
    classifyRatio: round(parseMs / classifyMs),
    classifyDetail: { parseMs: round(parseMs), parseAndClassifyMs: round(classifyMs), records: 20_000 },
  };
}

/** Replays a generated ≥ 1 GiB archive through the real CLI and reads its peak RSS. */
export async function benchReplayRss(log: Log) {
  const dir = await mkdtemp(join(tmpdir(), 'ssm-sentinel-bench-'));
  const file = join(dir, 'archive.json');
  try {
    const target = 1024 * 1024 * 1024 + 1;
    const pool = recordPool().map((r) => JSON.stringify(r));
    const ws = createWriteStream(file);
    const write = (s: string) =>
      ws.write(s) ? Promise.resolve() : new Promise<void>((resolve) => ws.once('drain', () => resolve()));
    let bytes = 0;
    let n = 0;
    await write('{"Records":[');
    while (bytes < target) {
      // Every record its own event and session: state grows as in a real archive.
      const rec = pool[n % pool.length]!.replace(/"eventID":"[^"]*"/, `"eventID":"bench-${n}"`).replace(
        /"sessionId":"([^"]*)"/,
        `"sessionId":"$1-${n}"`,
      );
      const piece = n === 0 ? rec : `,${rec}`;
      await write(piece);
      bytes += piece.length;
      n++;
    }
    await write(']}');
    await new Promise<void>((r) => ws.end(r));
    const size = (await stat(file)).size;
    log(`replay: generated ${(size / 2 ** 20).toFixed(0)} MiB, ${n} records; replaying…`);
    const stats = await runReplay(file);
    // The same archive with the HTML report: its aggregate sees every finding, its rows are capped.
    const html = join(dir, 'report.html');
    log('replay: again with --html…');
    const withHtml = await runReplay(file, ['--html', html]);
    const htmlBytes = (await stat(html)).size;
    return {
      replayPeakRssMB: stats.maxRssMB,
      replayHtmlRatio: round(withHtml.seconds / stats.seconds),
      replayHtmlDetail: {
        seconds: withHtml.seconds,
        peakRssMB: withHtml.maxRssMB,
        reportMiB: round(htmlBytes / 2 ** 20),
      },
      replayDetail: {
        archiveMiB: round(size / 2 ** 20),
        records: n,
        seconds: stats.seconds,
        MiBps: round(size / 2 ** 20 / stats.seconds),
        findings: stats.findings,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runReplay(
  file: string,
  extra: string[] = [],
): Promise<{ maxRssMB: number; seconds: number; findings: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/bin.js', 'replay', '--json', '--stats', ...extra, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    child.stdout.on('data', (b: Buffer) => {
      for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) lines++;
    });
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const statsLine = err
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{'));
      if (!statsLine) return reject(new Error(`replay printed no stats: ${err.slice(-500)}`));
      const s = JSON.parse(statsLine) as { maxRssMB: number; seconds: number };
      resolve({ maxRssMB: s.maxRssMB, seconds: s.seconds, findings: lines });
    });
  });
}
