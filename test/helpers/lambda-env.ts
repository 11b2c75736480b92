import { afterAll, beforeAll, beforeEach, vi } from 'vitest';

/** What a handler wrote to stdout and stderr (Powertools log lines and EMF metrics). */
export interface CapturedOutput {
  text(): string;
  reset(): void;
}

/** A region and fake credentials, plus `env`: the SDK clients build, but every call is mocked or local. */
export function stubAwsEnv(region = 'us-east-1', env: Record<string, string> = {}): void {
  vi.stubEnv('AWS_REGION', region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

/** Collects stdout and stderr instead of printing them, until vi.restoreAllMocks(). */
export function captureOutput(): CapturedOutput {
  let output = '';
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output += String(chunk);
      return true;
    });
  }
  return {
    text: () => output,
    reset: () => {
      output = '';
    },
  };
}

/**
 * The usual handler-test set-up as hooks of the calling file or describe block: stubAwsEnv and
 * captureOutput in beforeAll, the output emptied before each test, mocks and env restored in
 * afterAll. Hooks registered after this call see the stubbed env; read the output inside tests.
 */
export function useLambdaEnv(region = 'us-east-1', env: Record<string, string> = {}): CapturedOutput {
  let captured: CapturedOutput | undefined;
  beforeAll(() => {
    stubAwsEnv(region, env);
    captured = captureOutput();
  });
  beforeEach(() => captured?.reset());
  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  return {
    text: () => captured?.text() ?? '',
    reset: () => captured?.reset(),
  };
}
