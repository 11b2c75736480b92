import { App } from 'aws-cdk-lib';
import { ConfigError } from '#shared/model/config';
import { buildStacks } from './build';
import { loadConfig } from './config';

/**
 * CDK entry (cdk.json: `npx tsx infra/app.ts`). Configuration: context `config` (JSON) merged over
 * the JSON file named by context `configFile`; a bad value stops here with a message naming the key.
 */
const app = new App();
try {
  const config = loadConfig({
    config: app.node.tryGetContext('config'),
    configFile: app.node.tryGetContext('configFile'),
  });
  buildStacks(app, config, {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  });
  app.synth();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(`ssm-sentinel: ${e.message}`);
  process.exit(1);
}
