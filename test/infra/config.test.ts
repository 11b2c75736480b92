import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/config';
import { REPO_ROOT } from '#infra/constructs/functions';

const files: Record<string, string> = {
  'base.json': JSON.stringify({
    alerts: { emails: ['a@example.com'], minSeverity: 'LOW' },
    resourcePrefix: 'acme',
  }),
  'broken.json': '{"alerts": ',
};
const readFile = (path: string) => {
  const text = files[path];
  if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  return text;
};

describe('stack configuration', () => {
  it('merges context config (JSON string) over the config file', () => {
    const config = loadConfig(
      { configFile: 'base.json', config: '{"alerts":{"minSeverity":"HIGH"}}' },
      readFile,
    );
    expect(config.alerts).toEqual({
      emails: ['a@example.com'],
      minSeverity: 'HIGH',
      slackWebhookSecretName: null,
      windowMinutes: 15,
      slackActions: { signingSecretName: null, terminateUserIds: [], suppressHours: 24 },
    });
    expect(config.resourcePrefix).toBe('acme');
  });

  it('accepts context config as an object (cdk.json)', () => {
    expect(loadConfig({ config: { autoTerminate: { enabled: true } } }).autoTerminate.enabled).toBe(true);
  });

  it.each([
    [{ config: '{"alerts":{"minSeverity":"URGENT"}}' }, /config key "alerts\.minSeverity"/],
    [{ config: '{"autoTerminate":{"enabeld":true}}' }, /config key "autoTerminate\.enabeld": unknown key/],
    [{ config: '{"stack":{"regions":["eu-west-1"]}}' }, /config key "stack\.homeRegion": required/],
    [{ config: '{"stack":{"logRetentionDays":42}}' }, /config key "stack\.logRetentionDays"/],
    [
      { config: '{"alerts":{"slackActions":{"signingSecretName":"sentinel/signing"}}}' },
      /config key "alerts\.slackActions\.signingSecretName": needs alerts\.slackWebhookSecretName/,
    ],
    [{ config: '{"trustedCidrs":["10.0.0.0/33"]}' }, /config key "trustedCidrs\.0"/],
    [{ config: '{not json' }, /context "config": not valid JSON/],
    [{ configFile: 'broken.json' }, /context "configFile" \(broken\.json\): not valid JSON/],
    [
      { configFile: 'nowhere.json' },
      /context "configFile": cannot read nowhere\.json \(no such file or directory\)/,
    ],
    [{ config: 'null' }, /context "config": the configuration must be a JSON object/],
    [{ config: '[1]' }, /context "config": the configuration must be a JSON object/],
    [{ config: '{"alerts":{"minSeverity":"AKIAQ2WX7RZLM3KD5TPV"}}' }, /^(?![\s\S]*AKIAQ2WX7RZLM3KD5TPV)/],
    [{ config: '{"a":"AKIAQ2WX7RZLM3KD5TPV" x' }, /^(?![\s\S]*AKIAQ2WX7RZLM3KD5TPV)[\s\S]*not valid JSON/],
  ])('refuses %j naming the key', (sources, message) => {
    expect(() => loadConfig(sources, readFile)).toThrow(message);
  });

  it('makes the CDK app exit non-zero with the key in a one-line message', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'sentinel-app-'));
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'infra/app.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: '{"alerts":{"minSeverity":"URGENT"}}' }),
        CDK_OUTDIR: outdir,
      },
    });
    rmSync(outdir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^ssm-sentinel: config key "alerts\.minSeverity": /);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});
