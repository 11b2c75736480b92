import { readFileSync } from 'node:fs';
import { describeError } from '#shared/errors';
import { type Config, ConfigError, mergeConfig, parseConfig } from '#shared/model/config';

/** Where the CDK app found its configuration (context keys: README, Configure). */
export interface ConfigSources {
  /** Context `config`: a JSON string (from `-c config='…'`) or an object (from cdk.json). */
  config?: unknown;
  /** Context `configFile`: path of a JSON file; `config` is merged over it. */
  configFile?: unknown;
}

/**
 * Read, merge and validate the stack configuration. Throws ConfigError whose message names the
 * bad key (or the context key / file that could not be read).
 */
export function loadConfig(sources: ConfigSources, readFile: (path: string) => string = readText): Config {
  const base = sources.configFile === undefined ? {} : fromFile(sources.configFile, readFile);
  const over = sources.config === undefined ? {} : fromContext(sources.config);
  const config = parseConfig(mergeConfig(base, over));
  checkStackKeys(config);
  return config;
}

function fromFile(path: unknown, readFile: (path: string) => string): unknown {
  if (typeof path !== 'string' || path === '')
    throw new ConfigError('context "configFile": must be a file path');
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new ConfigError(`context "configFile": cannot read ${path} (${describeError(e)})`);
  }
  return object(parseJson(text, `context "configFile" (${path})`), `context "configFile" (${path})`);
}

function fromContext(value: unknown): unknown {
  return object(typeof value === 'string' ? parseJson(value, 'context "config"') : value, 'context "config"');
}

/** A configuration source must be a JSON object: `null` or a list is refused, never read as the defaults. */
function object(value: unknown, where: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`${where}: the configuration must be a JSON object`);
  return value;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${where}: not valid JSON (${describeError(e)})`);
  }
}

/** Retention periods CloudWatch Logs accepts. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Stack-only rules the shared schema cannot express. */
function checkStackKeys(config: Config): void {
  const { regions, homeRegion, logRetentionDays } = config.stack;
  if (
    config.alerts.slackActions.signingSecretName !== null &&
    config.alerts.slackWebhookSecretName === null
  ) {
    throw new ConfigError(
      'config key "alerts.slackActions.signingSecretName": needs alerts.slackWebhookSecretName (the buttons reach Slack only on the webhook alerts)',
    );
  }
  if (regions.length > 0 && homeRegion === null) {
    throw new ConfigError('config key "stack.homeRegion": required when stack.regions is set');
  }
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new ConfigError(
      `config key "stack.logRetentionDays": CloudWatch Logs accepts only ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
}

function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
