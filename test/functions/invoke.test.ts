import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { invoke, main } from '#tools/invoke';
import { crashTrace } from './hostile';

const event = (file: string) => JSON.parse(readFileSync(`tools/invoke-events/${file}`, 'utf8')) as unknown;

/** `npm run invoke`: every function runs on its sample event with all AWS calls answered locally. */
describe('local invoke', () => {
  beforeAll(() => {
    // Handlers log JSON lines; keep the test output readable.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('SENTINEL_CONFIG', JSON.stringify({ autoTerminate: { enabled: true, dryRun: false } }));
    vi.stubEnv('PII_MODE', 'comprehend');
  });
  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it.each([
    ['session-events', 'start-session.json', 'PutEvents'],
    ['transcripts', 'session-log.json', 'PutEvents'],
    ['notifier', 'finding.json', 'Publish'],
    ['slack', 'sns-finding.json', 'POST'],
    ['responder', 'finding.json', 'TerminateSession'],
    ['securityhub', 'finding.json', 'BatchImportFindings'],
  ])('%s on %s sends %s', async (fn, file, command) => {
    const result = await invoke(fn, event(file));
    expect(result.error).toBeUndefined();
    expect(result.calls.some((c) => c.command === command || c.command.startsWith(`${command} `))).toBe(true);
  });

  it('refuses an unknown function', async () => {
    await expect(invoke('nope', {})).rejects.toThrow(/unknown function/);
  });
});

/** `npm run invoke -- <fn> <file>` in-process: the exit code and everything it printed. */
async function cli(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const capture = (chunk: unknown) => {
    out += String(chunk);
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
  for (const spy of spies) spy.mockImplementation(capture);
  try {
    return { code: await main(argv), out };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The planted values of malformed.json (AWS's documented example key, a reserved-domain address). */
const PLANTED = ['AKIAIOSFODNN7EXAMPLE', 'jane.doe@example.org'];

describe('npm run invoke on a malformed event', () => {
  beforeAll(() => {
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('PII_MODE', 'local');
  });
  afterAll(() => vi.unstubAllEnvs());

  it.each(['session-events', 'transcripts', 'notifier', 'slack', 'responder', 'securityhub'])(
    '%s: one clear line naming the problem, no stack trace, no planted value',
    async (fn) => {
      const { code, out } = await cli(fn, 'tools/invoke-events/malformed.json');
      expect(code).toBe(1);
      const failed = out.split('\n').filter((l) => l.startsWith('--- handler failed: '));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatch(
        /^--- handler failed: (malformed|unusable|CloudTrail event not classified)[^:]*: \S/,
      );
      expect(crashTrace(out)).toBeUndefined();
      for (const value of PLANTED) expect(out).not.toContain(value);
    },
  );

  it('an unreadable event file: one line, exit 2, nothing quoted from it', async () => {
    const notJson = await cli('slack', 'tools/invoke-events/README.md');
    expect(notJson).toEqual({
      code: 2,
      out: expect.stringMatching(/^cannot read event \S+: invalid JSON( at position \d+)?\n$/),
    });
    const missing = await cli('slack', 'tools/invoke-events/none.json');
    expect(missing).toEqual({
      code: 2,
      out: 'cannot read event tools/invoke-events/none.json: no such file or directory\n',
    });
  });
});
