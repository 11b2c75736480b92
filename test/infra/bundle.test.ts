import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { props, removeSynthOutputs, synth } from './synth';

afterAll(removeSynthOutputs);

/** The one synth that really bundles (local esbuild, no Docker): every function becomes an ESM asset. */
describe('bundling', () => {
  it('bundles each handler as minified ESM with a source map and a require() shim', () => {
    // Every optional function on: Slack, its action endpoint, the responder, the Security Hub export.
    const config = {
      alerts: {
        slackWebhookSecretName: 'ssm-sentinel/slack-webhook',
        slackActions: {
          signingSecretName: 'ssm-sentinel/slack-signing-secret',
          terminateUserIds: ['U024BE7LH'],
        },
      },
      autoTerminate: { enabled: true },
      stack: { securityHubExport: true },
    };
    const { templates, outdir } = synth(config, { bundle: true });
    const fns = props(templates.get('SsmSentinel')!, 'AWS::Lambda::Function');
    expect(fns.map((f) => f.FunctionName).sort()).toEqual(
      [
        'alert-digest',
        'notifier',
        'responder',
        'securityhub',
        'session-events',
        'slack',
        'slack-actions',
        'transcript-sweep',
        'transcripts',
      ].map((n) => `ssm-sentinel-${n}`),
    );
    for (const fn of fns) {
      expect(fn.Handler).toBe('index.handler');
      const assetHash = ((fn.Code as { S3Key: unknown }).S3Key as string).replace(/\.zip$/, '');
      const dir = join(outdir, `asset.${assetHash}`);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith('import { createRequire as __sentinelCreateRequire }')).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    }
  }, 240_000);
});
