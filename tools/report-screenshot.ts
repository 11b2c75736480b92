/**
 * docs/report.png, the README's picture of `replay --html`: the demo replayed in-process, its report
 * opened in headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium) with the network blocked.
 * Run by hand (`npm run report:screenshot`) when the report's look changes; the PNG is committed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { main } from '#cli/commands';
import { DEMO_ARGS } from './demo';

const OUT = 'docs/report.png';
const DEMO = DEMO_ARGS;

const dir = mkdtempSync(join(tmpdir(), 'ssm-sentinel-report-'));
try {
  const file = join(dir, 'report.html');
  const code = await main([...DEMO, '--html', file], { out: () => undefined, err: () => undefined });
  if (code !== 0) throw new Error(`the demo replay exited ${code}`);
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    await page.setRequestInterception(true);
    page.on('request', (r) => (r.url().startsWith('file:') ? r.continue() : r.abort()));
    await page.setViewport({ width: 1280, height: 1500 });
    await page.goto(pathToFileURL(file).href);
    await page.screenshot({ path: OUT, type: 'png' });
  } finally {
    await browser.close();
  }
  console.log(`${OUT}: ${Math.round(statSync(OUT).size / 1024)} KB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
