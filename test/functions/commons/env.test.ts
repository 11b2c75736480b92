import { describe, expect, it } from 'vitest';
import { readEnv } from '#functions/commons/env';
import { PLANTED } from '../hostile';

describe('readEnv names the variable (and the config key), never the value', () => {
  it.each([
    [{}, 'environment variable TABLE_NAME: must be set'],
    [
      { TABLE_NAME: 't', PII_MODE: PLANTED.email },
      'environment variable PII_MODE: must be comprehend, local or off',
    ],
    [
      { TABLE_NAME: 't', SENTINEL_CONFIG: JSON.stringify({ trustedCidrs: [PLANTED.ssn] }) },
      'environment variable SENTINEL_CONFIG: config key "trustedCidrs.0": must be an IPv4 or IPv6 CIDR such as 10.0.0.0/8',
    ],
  ])('%j', (env, message) => {
    expect(() => readEnv(['TABLE_NAME', 'PII_MODE'], env)).toThrow(message);
  });
});
