import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReportedError, rejectInput, reportFailure, reportingFailures } from '#functions/commons/report';
import { InputError } from '#shared/errors';
import { captureOutput } from '../../helpers/lambda-env';
import { leaks, metricSum, PLANTED } from '../hostile';

let output: ReturnType<typeof captureOutput>;
const { metrics } = await import('#functions/commons/powertools');
const flush = () => metrics.publishStoredMetrics();

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => vi.restoreAllMocks());

describe('reporting a failure', () => {
  it('rejectInput logs the field and problem once, counts it, and returns a safe error to throw', () => {
    const error = rejectInput(
      'malformed thing',
      `detail.time: "${PLANTED.awsKey}" is not a date (${PLANTED.email})`,
      {
        eventId: 'invalid',
      },
    );
    flush();
    expect(error).toBeInstanceOf(ReportedError);
    expect(error).toMatchObject({ name: 'MalformedEvent' });
    expect(error.message).toMatch(/^malformed thing: detail\.time: … is not a date/);
    const line = JSON.parse(
      output
        .text()
        .split('\n')
        .find((l) => l.includes('malformed thing')) ?? '{}',
    );
    expect(line).toMatchObject({
      level: 'ERROR',
      eventId: 'invalid',
      problem: expect.stringMatching(/^detail\.time/),
    });
    expect(metricSum(output.text(), 'Failed')).toBe(1);
    expect(leaks(`${output.text()}${error.message}`)).toEqual([]);
  });

  it('reportFailure keeps an error name, drops what its message quotes, and does not report twice', () => {
    const sdk = Object.assign(new Error(`Invalid value "${PLANTED.ssn}" for ${PLANTED.card}`), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    const once = reportFailure('call failed', sdk);
    expect(once).toMatchObject({ name: 'ValidationException', message: 'ValidationException (HTTP 400)' });
    expect(reportFailure('again', once)).toBe(once);
    const own = reportFailure('own', new InputError('webhook URL must use https'));
    expect(own.message).toBe('webhook URL must use https');
    const weird = reportFailure('weird', Object.assign(new Error('x'), { name: `Bad\n${PLANTED.awsKey}` }));
    expect(weird.name).toBe('Error');
    flush();
    expect(metricSum(output.text(), 'Failed')).toBe(3);
    expect(leaks(`${output.text()}${once.message}${weird.message}`)).toEqual([]);
  });

  it('reportingFailures turns whatever escapes a handler into one reported, safe error', async () => {
    const handler = reportingFailures(async (input: unknown) => {
      (input as { missing: { deeper: string } }).missing.deeper = PLANTED.email;
    });
    const thrown = await handler({}).catch((e: unknown) => e);
    flush();
    expect(thrown).toBeInstanceOf(ReportedError);
    expect(thrown).toMatchObject({ name: 'TypeError' });
    expect((thrown as Error).message).not.toContain('\n');
    expect(output.text()).toContain('"message":"invocation failed"');
    expect(metricSum(output.text(), 'Failed')).toBe(1);
    // Named (a bug is worth knowing about), but one line: no stack frames.
    expect(output.text()).toContain('"error":"TypeError: Cannot set properties of undefined');
    expect(output.text()).not.toMatch(/^\s+at /m);
    await expect(reportingFailures(async () => undefined)()).resolves.toBeUndefined();
  });
});
