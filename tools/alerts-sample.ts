/**
 * `npm run alerts:sample`: rewrites README.md's "what on-call receives" sample (between its
 * alerts-sample markers) from the demo: the demo's findings of its busiest session, fed in time order
 * to the notifier core and the one-minute digest sweep (in-memory state, a fake clock), and every
 * message they send as it is e-mailed. test/alerts/sample.test.ts fails while the README differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '#cli/commands';
import { MemoryIncidentStore } from '#cli/state';
import { type NotifyDeps, notifyFinding, shouldAlert } from '#shared/alerts/incident';
import { sweepDigests } from '#shared/alerts/sweep';
import type { Alert } from '#shared/format/alert';
import { type Config, parseConfig } from '#shared/model/config';
import { type Finding, FindingSchema } from '#shared/model/finding';
import { ruleById } from '#shared/rules/index';
import { DEMO_ARGS } from './demo';

const ROOT = join(import.meta.dirname, '..');
const MIN = 60_000;
export const SAMPLE_START = '<!-- alerts-sample:start -->';
export const SAMPLE_END = '<!-- alerts-sample:end -->';

/** The demo's findings (`npm run demo` with --json). */
export async function demoFindings(): Promise<Finding[]> {
  let out = '';
  const code = await main([...DEMO_ARGS, '--json'], {
    out: (s) => {
      out += s;
    },
    err: () => undefined,
  });
  if (code !== 0) throw new Error(`demo replay exited ${code}`);
  return out
    .trim()
    .split('\n')
    .map((l) => FindingSchema.parse(JSON.parse(l)));
}

export function demoConfig(): Config {
  return parseConfig(JSON.parse(readFileSync(join(ROOT, 'examples/config.json'), 'utf8')));
}

/** Every message one session's findings send, with the (fake) time each was sent. */
export async function sessionAlerts(
  findings: readonly Finding[],
  config: Config,
): Promise<Array<{ atMs: number; alert: Alert }>> {
  const sent: Array<{ atMs: number; alert: Alert }> = [];
  let now = 0;
  const deps: NotifyDeps = {
    config,
    incidents: new MemoryIncidentStore(),
    publisher: {
      publish: async (alert) => {
        sent.push({ atMs: now, alert });
        return undefined;
      },
    },
    ruleById,
  };
  const ordered = [...findings].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  const first = Date.parse(ordered[0]?.time ?? '');
  const last = Date.parse(ordered.at(-1)?.time ?? '');
  let next = 0;
  // The schedule's one-minute ticks from the first finding until the last window has closed.
  for (let tick = first; tick <= last + (config.alerts.windowMinutes + 1) * MIN; tick += MIN) {
    for (; next < ordered.length && Date.parse(ordered[next]!.time) < tick + MIN; next++) {
      now = Math.max(tick, Date.parse(ordered[next]!.time));
      await notifyFinding(ordered[next]!, deps, now);
    }
    now = tick + MIN;
    await sweepDigests(deps, now);
  }
  return sent;
}

/** The demo session with the most alertable findings (then the earliest id). */
export function busiestSession(findings: readonly Finding[], config: Config): Finding[] {
  const by = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.sessionId || !shouldAlert(f, config)) continue;
    by.set(f.sessionId, [...(by.get(f.sessionId) ?? []), f]);
  }
  const [best] = [...by.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  return findings.filter((f) => f.sessionId === best?.[0]);
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const WHY: Record<Alert['kind'], string> = {
  opened: 'first finding at or above `alerts.minSeverity`',
  escalated: 'first CRITICAL finding',
  digest: 'the window closed',
  single: 'nothing to group on',
};

/** The README block: a table of the messages, then each one as e-mailed. */
export function sampleMarkdown(
  findings: readonly Finding[],
  sent: ReadonlyArray<{ atMs: number; alert: Alert }>,
  config: Config,
): string {
  const s = findings[0];
  const alertable = findings.filter((f) => shouldAlert(f, config)).length;
  const out = [
    `The demo's busiest session (\`${s?.principal?.name ?? s?.principal?.arn ?? 'unknown'}\` on \`${s?.target ?? 'unknown'}\`) has`,
    `${findings.length} findings, ${alertable} of them at or above \`alerts.minSeverity\` (MEDIUM). Until this`,
    `release that meant ${alertable} alerts; the on-call person now receives ${sent.length}:`,
    '',
    '| sent (UTC) | why | subject |',
    '|---|---|---|',
    ...sent.map(
      ({ atMs, alert }) =>
        `| ${hhmm(atMs)} | ${WHY[alert.kind]} | \`${alert.subject.replace(/\|/g, '\\|')}\` |`,
    ),
    '',
    '<details><summary>The messages as e-mailed (Slack shows the same content as Block Kit)</summary>',
    '',
    ...sent.flatMap(({ alert }) => [
      '```text',
      `Subject: ${alert.subject}`,
      '',
      alert.text.trimEnd(),
      '```',
      '',
    ]),
    '</details>',
  ];
  return out.join('\n');
}

export function withSample(readme: string, block: string): string | undefined {
  const a = readme.indexOf(SAMPLE_START);
  const b = readme.indexOf(SAMPLE_END);
  if (a < 0 || b < a) return undefined;
  return `${readme.slice(0, a + SAMPLE_START.length)}\n${block}\n${readme.slice(b)}`;
}

export async function readmeSample(): Promise<string> {
  const config = demoConfig();
  const session = busiestSession(await demoFindings(), config);
  return sampleMarkdown(session, await sessionAlerts(session, config), config);
}

if (process.argv[1] === import.meta.filename) {
  const path = join(ROOT, 'README.md');
  const text = readFileSync(path, 'utf8');
  const updated = withSample(text, await readmeSample());
  if (updated === undefined) {
    process.stderr.write(`${path}: its alerts-sample markers are missing\n`);
    process.exitCode = 1;
  } else if (updated !== text) {
    writeFileSync(path, updated);
    process.stdout.write(`${path}: alerts-sample rewritten\n`);
  }
}
