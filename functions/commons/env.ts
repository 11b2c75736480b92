import * as z from 'zod';
import { describeError, InputError, zodMessage } from '#shared/errors';
import { Env } from '#shared/metrics';
import { type Config, parseConfig } from '#shared/model/config';

/**
 * Handler configuration from the environment, validated once at start-up (module load): a bad or
 * missing value fails the cold start with a message naming the variable (and the config key).
 */
const FIELDS = {
  [Env.TableName]: z.string({ error: 'must be set' }).min(1, 'must be set'),
  [Env.BusName]: z.string({ error: 'must be set' }).min(1, 'must be set'),
  [Env.TopicArn]: z
    .string({ error: 'must be set' })
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN'),
  [Env.SlackWebhookSecret]: z.string({ error: 'must be set' }).min(1, 'must be set'),
  [Env.SlackSigningSecret]: z.string({ error: 'must be set' }).min(1, 'must be set'),
  [Env.PiiMode]: z
    .enum(['comprehend', 'local', 'off'], { error: 'must be comprehend, local or off' })
    .default('comprehend'),
} as const;

export type EnvKey = keyof typeof FIELDS;
export type HandlerEnv<K extends EnvKey> = { config: Config } & { [P in K]: z.output<(typeof FIELDS)[P]> };

/** The message names variables and config keys, never a value (JSON errors lose their quoted input). */
export class EnvError extends InputError {
  override readonly name = 'EnvError';
}

/** Read and validate `keys` plus SENTINEL_CONFIG (JSON of the configuration; absent = defaults). */
export function readEnv<K extends EnvKey>(
  keys: readonly K[],
  env: Record<string, string | undefined> = process.env,
): HandlerEnv<K> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    const r = FIELDS[key].safeParse(env[key] || undefined);
    if (r.success) values[key] = r.data;
    else problems.push(zodMessage(r.error, { max: 1, at: () => `environment variable ${key}` }));
  }
  let config: Config | undefined;
  try {
    const text = env[Env.Config];
    config = parseConfig(text ? JSON.parse(text) : {});
  } catch (e) {
    problems.push(`environment variable ${Env.Config}: ${describeError(e)}`);
  }
  if (problems.length || !config) throw new EnvError(problems.join('; '));
  return { config, ...values } as HandlerEnv<K>;
}
