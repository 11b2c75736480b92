import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '#cli/commands';
import { type Finding, SEVERITIES } from '#shared/model/finding';
import { DEMO_ARGS } from '#tools/demo';

/**
 * `npm run demo`'s HTML report opened in a real headless Chromium (CHROMIUM_PATH, default
 * /usr/bin/chromium; .ci/run installs it): the counts, filters, search and a session card against
 * the demo's JSON findings, with every network request refused, and no raw planted value anywhere.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM)
  console.warn(
    `test/e2e/report.test.ts: no Chromium at ${CHROMIUM} (install chromium or set CHROMIUM_PATH): the browser checks are skipped`,
  );

const DEMO = DEMO_ARGS;
/** The corpus scenarios the demo's sessions were copied from (examples/README.md). */
const SCENARIOS = ['attacker', 'secrets', 'pii-leak', 'windows-like'];

let dir: string;
let file: string;
let html: string;
let findings: Finding[];

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: () => undefined,
  });
  return { code, out };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ssm-sentinel-report-'));
  file = join(dir, 'report.html');
  const json = await run([...DEMO, '--json']);
  expect(json.code).toBe(0);
  findings = json.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Finding);
  const report = await run([...DEMO, '--html', file]);
  expect(report.code).toBe(0);
  html = readFileSync(file, 'utf8');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every string in a JSON value (log events, sessionData pieces). */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) strings(x, out);
  return out;
}

/** The text of the demo's session inputs as the engine reads it (subscription payloads decoded). */
function demoInputText(): string {
  const root = 'examples/sessions';
  const parts: string[] = [];
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) {
      for (const d of readdirSync(path)) {
        const payload = JSON.parse(readFileSync(join(path, d), 'utf8')) as { awslogs: { data: string } };
        parts.push(
          ...strings(JSON.parse(gunzipSync(Buffer.from(payload.awslogs.data, 'base64')).toString())),
        );
      }
    } else if (name.endsWith('.jsonl')) {
      for (const line of readFileSync(path, 'utf8').split('\n'))
        if (line.trim()) parts.push(...strings(JSON.parse(line)));
    } else parts.push(readFileSync(path, 'utf8'));
  }
  return parts.join('\n');
}

/** The corpus's labelled secrets and personal values that are really in the demo's input. */
function plantedRawValues(): string[] {
  const input = demoInputText();
  const values = SCENARIOS.flatMap((s) => {
    const labels = JSON.parse(readFileSync(`test/fixtures/sessions/${s}/labels.json`, 'utf8')) as {
      labels: Array<{ kind: string; value: string }>;
    };
    return labels.labels.filter((l) => l.kind === 'secret' || l.kind === 'pii').map((l) => l.value);
  });
  return [...new Set(values)].filter((v) => v.length >= 6 && input.includes(v));
}

describe('replay --html on the demo', () => {
  it('holds no raw planted secret or personal value', () => {
    const raw = plantedRawValues();
    // The demo detects secrets and PII from these very sessions: the needles are real.
    expect(raw).toContain('AKIAIOSFODNN7EXAMPLE');
    expect(raw).toContain('078-05-1120');
    expect(raw.length).toBeGreaterThan(50);
    expect(findings.some((f) => f.category === 'secret')).toBe(true);
    expect(findings.some((f) => f.category === 'pii')).toBe(true);
    const leaked = raw.filter((v) => html.includes(v));
    expect(leaked).toEqual([]);
    // HTML-escaped forms too (a value with & or < would be written escaped).
    const escaped = raw
      .map((v) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;'))
      .filter((v) => html.includes(v));
    expect(escaped).toEqual([]);
  });

  it('is one file with nothing to fetch: a CSP, no external URL in src or href', () => {
    expect(html).toContain('http-equiv="Content-Security-Policy"');
    expect(html).toContain('content="default-src &#39;none&#39;;');
    expect(html).not.toMatch(/\b(?:src|href)="(?!#)/);
  });

  describe.skipIf(!HAS_CHROMIUM)('in headless Chromium', () => {
    let browser: Browser;
    let page: Page;
    const external: string[] = [];
    const problems: string[] = [];

    beforeAll(async () => {
      const puppeteer = (await import('puppeteer-core')).default;
      browser = await puppeteer.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu'],
      });
      page = await browser.newPage();
      await page.setRequestInterception(true);
      page.on('request', (r) => {
        if (r.url().startsWith('file:')) return void r.continue();
        external.push(r.url());
        void r.abort();
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') problems.push(m.text());
      });
      await page.setViewport({ width: 1280, height: 1000 });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
    });

    const visibleIds = () =>
      page.$$eval('#findings li.f', (rows) =>
        rows.filter((r) => r.getClientRects().length > 0).map((r) => r.getAttribute('data-id') ?? ''),
      );
    const sorted = (ids: string[]) => [...ids].sort();
    const idsOf = (fs: Finding[]) => sorted(fs.map((f) => f.id));
    const shown = () => findings.filter((f) => !f.suppressed);

    async function filter(select: string, value: string) {
      await page.select(select, value);
      const ids = sorted(await visibleIds());
      await page.select(select, '');
      return ids;
    }

    it('runs its script under its CSP and asks the network for nothing', async () => {
      expect(await page.$eval('#shown', (e) => e.textContent)).toMatch(/^\d+ of \d+ findings shown/);
      expect(external).toEqual([]);
      expect(problems).toEqual([]);
    });

    it('shows the severity counts of the JSON findings', async () => {
      const counts = await page.$$eval('#counts [data-count-sev]', (els) =>
        els.map((e) => [e.getAttribute('data-count-sev'), Number(e.textContent)] as const),
      );
      const expected = SEVERITIES.map((s) => [s, shown().filter((f) => f.severity === s).length] as const);
      expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(expected));
      expect(Number(await page.$eval('#counts [data-count-total]', (e) => e.textContent))).toBe(
        shown().length,
      );
    });

    it('shows every finding, then exactly the matching ones per severity, category and principal', async () => {
      expect(sorted(await visibleIds())).toEqual(idsOf(shown()));
      expect(await filter('#f-sev', 'HIGH')).toEqual(idsOf(shown().filter((f) => f.severity === 'HIGH')));
      expect(await filter('#f-cat', 'secret')).toEqual(idsOf(shown().filter((f) => f.category === 'secret')));
      const byPrincipal = new Map<string, number>();
      for (const f of shown())
        if (f.principal) byPrincipal.set(f.principal.arn, (byPrincipal.get(f.principal.arn) ?? 0) + 1);
      const [arn] = [...byPrincipal].sort((a, b) => b[1] - a[1])[0]!;
      const mine = shown().filter((f) => f.principal?.arn === arn);
      expect(mine.length).toBeLessThan(shown().length);
      expect(await filter('#f-principal', arn)).toEqual(idsOf(mine));
      expect(sorted(await visibleIds())).toEqual(idsOf(shown()));
    });

    it('searches the text, ignoring case', async () => {
      await page.type('#f-text', 'CMD-REVERSE-SHELL');
      const hits = sorted(await visibleIds());
      await page.$eval('#f-text', (e) => {
        (e as unknown as { value: string }).value = '';
        e.dispatchEvent(new Event('input'));
      });
      const expected = idsOf(shown().filter((f) => f.ruleId === 'cmd-reverse-shell'));
      expect(expected.length).toBeGreaterThan(0);
      expect(hits).toEqual(expected);
      expect(sorted(await visibleIds())).toEqual(idsOf(shown()));
    });

    it("lists the busiest session's findings on its card in time order", async () => {
      const bySession = new Map<string, Finding[]>();
      for (const f of shown())
        if (f.sessionId) bySession.set(f.sessionId, [...(bySession.get(f.sessionId) ?? []), f]);
      const [id, mine] = [...bySession].sort((a, b) => b[1].length - a[1].length)[0]!;
      const expected = [...mine]
        .sort((a, b) => Date.parse(a.time) - Date.parse(b.time) || a.id.localeCompare(b.id))
        .map((f) => f.id);
      const onCard = await page.$$eval(
        'article.card',
        (cards, key) => {
          const card = cards.find((c) => c.getAttribute('data-key') === key);
          return card ? [...card.querySelectorAll('li.f')].map((r) => r.getAttribute('data-id')) : [];
        },
        id,
      );
      expect(onCard).toEqual(expected);
    });

    it('takes a screenshot', async () => {
      const png = join(dir, 'report.png');
      await page.screenshot({ path: png });
      expect(statSync(png).size).toBeGreaterThan(10_000);
    });
  });
});
