import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import { InputError } from '../errors';

/** Where a credential lives: an SSM SecureString or a Secrets Manager secret. */
export interface CredentialRef {
  store: 'ssm' | 'secretsmanager';
  name: string;
}

/** Seconds a fetched credential is reused by a warm container (a rotation lands within this). */
export const CREDENTIAL_MAX_AGE_S = 300;

/**
 * `ssm:<name>`, a name starting with `/` or an SSM parameter ARN → SSM; anything else (secret name or
 * ARN) → Secrets Manager.
 */
export function parseCredentialRef(ref: string): CredentialRef {
  const value = ref.trim();
  if (value.startsWith('ssm:')) return { store: 'ssm', name: value.slice(4) };
  if (value.startsWith('/') || /^arn:aws[a-z-]*:ssm:/.test(value)) return { store: 'ssm', name: value };
  return { store: 'secretsmanager', name: value };
}

/** Raised without the credential's value in the message (it names the reference only). */
export class CredentialError extends InputError {
  override readonly name = 'CredentialError';
}

/**
 * Read a credential string through Powertools parameters (cached `maxAge` seconds, SSM decrypted).
 * The value is never logged or put in an error message.
 */
export async function getCredential(
  ref: string,
  options: { maxAge?: number; forceFetch?: boolean } = {},
): Promise<string> {
  const { store, name } = parseCredentialRef(ref);
  if (!name) throw new CredentialError('credential reference is empty');
  const maxAge = options.maxAge ?? CREDENTIAL_MAX_AGE_S;
  const forceFetch = options.forceFetch ?? false;
  const value =
    store === 'ssm'
      ? await getParameter(name, { decrypt: true, maxAge, forceFetch })
      : await getSecret(name, { maxAge, forceFetch });
  if (typeof value === 'string' && value.trim()) return value.trim();
  if (value instanceof Uint8Array && value.length) return Buffer.from(value).toString('utf8').trim();
  throw new CredentialError(`credential ${store}:${name} is empty or not a string`);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The webhook URL inside a credential value: the URL itself or a JSON object with `url`, `webhookUrl`
 * or `webhook_url`. Only https (plain http to loopback, for local tests) is accepted.
 */
export function webhookUrlFrom(value: string): URL {
  let text = value.trim();
  if (text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      const found = [obj.url, obj.webhookUrl, obj.webhook_url].find((v) => typeof v === 'string');
      text = typeof found === 'string' ? found.trim() : '';
    } catch {
      throw new CredentialError('webhook credential looks like JSON but does not parse');
    }
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CredentialError('webhook credential is not a URL');
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  if (!ok) throw new CredentialError('webhook URL must use https');
  return url;
}
