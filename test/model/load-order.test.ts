import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * Each entry module loads on its own, first: the configuration validates rule ids against the
 * catalogue and the rules reach the detectors, so an import cycle that reads a value at load time
 * breaks whichever module a process happens to import first (a Lambda imports only its handler).
 */
const ENTRIES = [
  '#shared/model/config',
  '#shared/rules/index',
  '#shared/rules/families',
  '#shared/mask',
  '#shared/format/redact',
  '#shared/session/classify',
  '#shared/pipeline/index',
  '#shared/errors',
];

describe('module load order', () => {
  it.each(ENTRIES)('%s loads first in a fresh process', async (entry) => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `await import('${entry}'); console.log('loaded');`],
      { cwd: process.cwd(), timeout: 60_000 },
    );
    expect(stdout.trim()).toBe('loaded');
  });
});
