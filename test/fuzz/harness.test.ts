import { describe, expect, it } from 'vitest';
import { pathText, stringPaths, withAt } from './helpers/json-paths';
import { LeakReport } from './helpers/leaks';
import { crashTrace, ESCAPES, PLANTS, unsafeCharAt } from './helpers/plant';
import { doublingRatio } from './helpers/timing';

/**
 * The fuzz suite's own checks can fail: a leak, a control character, a stack trace and a quadratic
 * operation are each caught when present (a green suite is not a blind one).
 */
describe('fuzz harness', () => {
  it('finds a planted value, ignores one the input already held, and splits strict from shown as is', () => {
    const report = new LeakReport('harness-self-test', (field) => field === 'principal');
    const key = PLANTS[0]!;
    report.check('shape', 'eventTime', key, 'replace', { stderr: `eventTime "${key.text}" is bad` });
    report.check('shape', 'principal', key, 'replace', { stdout: `{"arn":"${key.text}"}` });
    report.check('shape', 'other', key, 'replace', { stdout: key.text }, `{"x":"${key.text}"}`);
    report.check('shape', 'clean', key, 'replace', { stdout: 'AKIA************5TPV' });
    expect(report.strict.map((l) => l.field)).toEqual(['eventTime']);
    expect(report.debated.map((l) => l.field)).toEqual(['principal']);
    expect(LeakReport.lines(report.strict)[0]).toContain('eventTime → stderr [aws-access-key]');
  });

  it('catches control characters, stack traces and V8 messages', () => {
    expect(unsafeCharAt(`name ${ESCAPES}`)).toMatch(/^U\+001b/);
    expect(unsafeCharAt('plain text\nwith lines\tand tabs')).toBeUndefined();
    expect(crashTrace('TypeError: x\n    at run (file.ts:1:2)')).toBeDefined();
    expect(crashTrace('Exception in PromiseRejectCallback:')).toBeDefined();
    expect(crashTrace('error: a.json: record 2: invalid JSON at position 5')).toBeUndefined();
  });

  it('walks every string leaf and plants one at a time', () => {
    const value = { a: 'x', b: [{ c: 'y' }, 2], d: { e: null, f: 'z' } };
    expect(stringPaths(value).map(pathText)).toEqual(['a', 'b[0].c', 'd.f']);
    expect(withAt(value, ['b', 0, 'c'], () => 'Y')).toEqual({
      a: 'x',
      b: [{ c: 'Y' }, 2],
      d: { e: null, f: 'z' },
    });
    expect(value.b[0]).toEqual({ c: 'y' });
  });

  it('sees a quadratic operation in the doubling ratio', async () => {
    const quadratic = (n: number) => {
      let s = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += i ^ j;
      return s;
    };
    const d = await doublingRatio(quadratic, 1500);
    expect(d.ratio).toBeGreaterThan(2.5);
  });
});
