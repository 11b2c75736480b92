import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '#cli/commands';
import { cloudTrailRecord } from '../helpers/inputs';
import { leafPaths, pathText, withAt } from '../helpers/json-paths';
import { LeakReport } from '../helpers/leaks';
import { nested } from '../helpers/malformed';
import { crashTrace, ESCAPES, MODES, PLANTS, plantInto, unsafeCharAt } from '../helpers/plant';
import { useScratch } from '../helpers/replay';

/**
 * The CLI's option files and arguments in-process (`main` of cli/commands.ts, as cli/main.ts runs it):
 * `--config` and `--target-tags` files with a planted value in every field, broken files, and hostile
 * option values. Whatever the input: exit 0 or 2, never a crash, nothing planted on stdout or stderr
 * (a key name — a target id, a tag key, an unknown config key — named in an error is the debated case),
 * no control characters. The spawned runs of the same options are in bin.test.ts.
 *
 * Cases (printed in the test names): 19 config leaves × 2 plants = 38; 8 broken option files × 2
 * options; 60 random target-tag maps (fast-check); 10 plants × 4 option values = 40.
 */

const scratch = useScratch('opt');
const attacker = cloudTrailRecord('attacker');
const target = (attacker.requestParameters as { target: string }).target;
const input = scratch.file('record.json', JSON.stringify(attacker));

interface Run {
  code: number;
  out: string;
  err: string;
  threw?: string;
}

async function cli(argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const io = {
    out: (s: string) => {
      out += s;
    },
    err: (s: string) => {
      err += s;
    },
  };
  try {
    return { code: await main(argv, io), out, err };
  } catch (e) {
    return { code: -1, out, err, threw: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}

function unsafe(r: Run): string[] {
  const out: string[] = [];
  if (r.threw) out.push(`main threw ${r.threw}`);
  if (![0, 1, 2].includes(r.code)) out.push(`exit code ${r.code}`);
  const trace = crashTrace(r.err);
  if (trace) out.push(`stack trace or internal error: ${trace}`);
  const bad = unsafeCharAt(r.err);
  if (bad) out.push(`control character on stderr: ${bad}`);
  return out;
}

const CONFIG = {
  trustedCidrs: ['10.0.0.0/8'],
  businessHours: { timezone: 'Europe/Berlin', days: ['Mon'], start: '08:00', end: '19:00' },
  productionTags: { Environment: ['prod'] },
  sensitivePorts: [22],
  severityOverrides: { 'session-start-shell': 'LOW' },
  pii: { minScore: 0.8, typeSeverity: { SSN: 'HIGH' }, languageCode: 'en' },
  alerts: { emails: ['secops@example.com'], minSeverity: 'MEDIUM', slackWebhookSecretName: 'x/slack' },
  autoTerminate: { enabled: false, exemptPrincipals: ['arn:aws:iam::*:role/BreakGlass*'], maxPerHour: 5 },
  stack: { regions: ['eu-west-1'], runAsUser: 'ssm-user' },
};
const configLeaves = leafPaths(CONFIG);

describe('ssm-sentinel replay --config / --target-tags / option values, in-process', () => {
  it(`--config with a planted value in each leaf × 2 plants (${2 * configLeaves.length} cases)`, async () => {
    const report = new LeakReport('cli-config');
    const problems: string[] = [];
    let n = 0;
    for (const path of configLeaves) {
      for (let k = 0; k < 2; k++, n++) {
        const plant = PLANTS[n % PLANTS.length]!;
        const mode = MODES[Math.floor(n / PLANTS.length) % 2]!;
        const file = scratch.file(
          'config.json',
          JSON.stringify(withAt(CONFIG, path, (old) => plantInto(String(old), plant.text, mode))),
        );
        const r = await cli(['replay', '--json', '--config', file, input]);
        for (const p of unsafe(r)) problems.push(`${pathText(path)} ${plant.kind}/${mode}: ${p}`);
        report.check(
          '--config',
          pathText(path),
          plant,
          mode,
          { stdout: r.out, stderr: r.err },
          JSON.stringify(CONFIG),
        );
      }
    }
    expect(problems).toEqual([]);
    expect(LeakReport.lines(report.strict)).toEqual([]);
  }, 60_000);

  const BROKEN: Record<string, string | Buffer> = {
    empty: '',
    null: 'null',
    'not JSON': `{"trustedCidrs": [${PLANTS[0]!.text}`,
    'deep nesting': nested(5000),
    binary: Buffer.from([0, 0xff, 0xfe, 1, 2, 0x7b]),
    'BOM then JSON': '\ufeff{}',
    'an array': '[1,2,3]',
    'escape sequences': JSON.stringify({ [`k${ESCAPES}`]: ESCAPES }),
  };

  it(`${Object.keys(BROKEN).length} broken files as --config and as --target-tags: refused cleanly (exit 2) or used`, async () => {
    const problems: string[] = [];
    for (const [name, bytes] of Object.entries(BROKEN)) {
      for (const flag of ['--config', '--target-tags']) {
        const r = await cli(['replay', '--json', flag, scratch.file('option.json', bytes), input]);
        for (const p of unsafe(r)) problems.push(`${flag} ${name}: ${p}`);
        if (r.code === 2 && !r.err.includes(flag))
          problems.push(`${flag} ${name}: the error does not name the option`);
        if (r.err.includes(PLANTS[0]!.text)) problems.push(`${flag} ${name}: planted value echoed`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('60 random --target-tags maps with planted values (fast-check): no planted value printed', async () => {
    const planted = fc.constantFrom(...PLANTS.map((p) => p.text));
    const value = fc.oneof(planted, fc.string(), fc.jsonValue({ maxDepth: 2 }));
    const tags = fc.dictionary(
      fc.oneof(fc.constantFrom('Environment', 'Owner', 'Name'), fc.string()),
      value,
      { maxKeys: 4 },
    );
    const map = fc.dictionary(fc.oneof(fc.constant(target), fc.string()), tags, { maxKeys: 3 });
    const debated = new LeakReport('cli-target-tags-keys', () => true);
    await fc.assert(
      fc.asyncProperty(map, async (m) => {
        const r = await cli([
          'replay',
          '--json',
          '--target-tags',
          scratch.file('tags.json', JSON.stringify(m)),
          input,
        ]);
        expect(unsafe(r)).toEqual([]);
        expect(r.out + r.err).not.toContain('[object Object]');
        // Values must never be printed; a planted text used as a target id or tag key is a name.
        const keys = JSON.stringify(Object.entries(m).map(([t, v]) => [t, Object.keys(v)]));
        for (const p of PLANTS) {
          const printed = p.needles.some((x) => (r.out + r.err).includes(x));
          if (!printed) continue;
          if (keys.includes(p.text))
            debated.check('--target-tags', 'key', p, 'replace', { stderr: r.err + r.out });
          else expect.fail(`${p.kind} printed from a tag value`);
        }
      }),
      { numRuns: 60, seed: 8_801 },
    );
    debated.writeDebated();
  }, 60_000);

  it(`planted option values (--fail-on, --pii, an unknown option, a file name): ${4 * PLANTS.length} cases`, async () => {
    const report = new LeakReport('cli-argv', (field) => field === 'file name' || field === 'unknown option');
    const problems: string[] = [];
    for (const plant of PLANTS) {
      const cases: Record<string, string[]> = {
        '--fail-on': ['replay', '--fail-on', plant.text, input],
        '--pii': ['replay', '--pii', plant.text, input],
        'unknown option': ['replay', `--${plant.text}`, input],
        'file name': ['replay', `/nonexistent/${plant.text}.json`],
      };
      for (const [field, argv] of Object.entries(cases)) {
        const r = await cli(argv);
        for (const p of unsafe(r)) problems.push(`${field} ${plant.kind}: ${p}`);
        if (r.code !== 2) problems.push(`${field} ${plant.kind}: exit ${r.code}, not 2`);
        report.check('argv', field, plant, 'replace', { stderr: r.err, stdout: r.out });
      }
    }
    report.writeDebated();
    expect(problems).toEqual([]);
    expect(LeakReport.lines(report.strict)).toEqual([]);
  }, 60_000);
});
