import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { invoke } from '../../functions/invoke';

const event = (file: string) =>
  JSON.parse(readFileSync(`functions/invoke-events/${file}`, 'utf8')) as unknown;

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
