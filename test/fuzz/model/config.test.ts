import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '#shared/model/config';
import { leafPaths, pathText, withAt } from '../helpers/json-paths';
import { LeakReport } from '../helpers/leaks';
import { nested } from '../helpers/malformed';
import { crashTrace, ESCAPES, MODES, PLANTS, plantInto, unsafeCharAt } from '../helpers/plant';

/**
 * `parseConfig`, the one configuration contract (the stack, the Lambdas' SENTINEL_CONFIG and the CLI's
 * --config; the spawned --config run is in cli/bin.test.ts): whatever the input, it returns a
 * configuration or throws an error that names the key and the problem, never the value, in one line
 * free of control characters, and never anything but that error.
 *
 * Cases (printed in the test names): every leaf of a full configuration × 10 plants × 2 modes ≈ 760;
 * each leaf × 9 hostile values ≈ 340; 200 random configurations (fast-check); a few named ones.
 */

/** Every key of the configuration (docs/CONTRACT.md), with valid values, so each leaf can be spoiled in turn. */
const FULL: ConfigInput = {
  trustedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
  businessHours: { timezone: 'Europe/Berlin', days: ['Mon', 'Tue'], start: '08:00', end: '19:00' },
  productionTags: { Environment: ['prod', 'production'] },
  sensitivePorts: [22, 5432],
  requireReasonOnProduction: true,
  severityOverrides: { 'session-start-shell': 'LOW' },
  accessDenied: { burstThreshold: 5, windowMinutes: 10 },
  preferencesDocuments: ['SSM-SessionManagerRunShell'],
  resourcePrefix: 'ssm-sentinel',
  pii: {
    minScore: 0.8,
    typeSeverity: { SSN: 'HIGH' },
    defaultSeverity: 'MEDIUM',
    languageCode: 'en',
    localPrescreen: true,
  },
  alerts: {
    emails: ['secops@example.com'],
    minSeverity: 'MEDIUM',
    slackWebhookSecretName: 'ssm-sentinel/slack',
  },
  autoTerminate: {
    enabled: false,
    dryRun: true,
    minSeverity: 'CRITICAL',
    exemptPrincipals: ['arn:aws:iam::*:role/BreakGlass*'],
    maxPerHour: 5,
  },
  stack: { regions: ['eu-west-1'], homeRegion: 'eu-west-1', logRetentionDays: 90, runAsUser: 'ssm-user' },
};

const HOSTILE: unknown[] = [
  null,
  42,
  -1,
  1e308,
  true,
  'x',
  '',
  [],
  {},
  ['a', 1, null],
  ESCAPES,
  JSON.parse(nested(1000)),
];

/** How parseConfig ended: the problems found with the outcome (empty = fine). */
function verdict(input: unknown): { ok: boolean; message: string; problems: string[] } {
  try {
    parseConfig(input);
    return { ok: true, message: '', problems: [] };
  } catch (e) {
    const problems: string[] = [];
    if (!(e instanceof Error) || e.name !== 'ConfigError') {
      problems.push(`threw ${e instanceof Error ? e.name : typeof e}, not a ConfigError`);
    }
    const message = e instanceof Error ? e.message : String(e);
    const json = JSON.stringify(e);
    if (!/config key|config/i.test(message)) problems.push('message does not name the configuration key');
    if (message.includes('\n')) problems.push('message is more than one line');
    const unsafe = unsafeCharAt(message);
    if (unsafe) problems.push(`control character in the message: ${unsafe}`);
    const trace = crashTrace(message);
    if (trace) problems.push(`internal error in the message: ${trace}`);
    return { ok: false, message: `${message}\n${json}`, problems };
  }
}

const leaves = leafPaths(FULL);

describe('parseConfig: errors name the key, never the value', () => {
  it(`the full configuration is valid (the base of every case below)`, () => {
    expect(verdict(FULL)).toEqual({ ok: true, message: '', problems: [] });
  });

  it(`every leaf × ${PLANTS.length} plants × 2 modes (${leaves.length * PLANTS.length * 2} cases)`, () => {
    // A key name is not a value: a planted unknown key named in the message is the debated case.
    const report = new LeakReport('config', () => false);
    const problems: string[] = [];
    for (const path of leaves) {
      for (const plant of PLANTS) {
        for (const mode of MODES) {
          const config = withAt(FULL, path, (old) => plantInto(String(old), plant.text, mode));
          const v = verdict(config);
          for (const p of v.problems) problems.push(`${pathText(path)} ${plant.kind}/${mode}: ${p}`);
          report.check('config', pathText(path), plant, mode, { error: v.message }, JSON.stringify(FULL));
        }
      }
    }
    expect(problems).toEqual([]);
    expect(LeakReport.lines(report.strict)).toEqual([]);
  });

  it(`every leaf × ${HOSTILE.length} hostile values (${leaves.length * HOSTILE.length} cases)`, () => {
    const problems: string[] = [];
    for (const path of leaves) {
      for (const value of HOSTILE) {
        const v = verdict(withAt(FULL, path, () => value));
        for (const p of v.problems)
          problems.push(`${pathText(path)} = ${JSON.stringify(value)?.slice(0, 20)}: ${p}`);
        if (typeof value === 'string' && value === ESCAPES && v.message.includes('\u001b')) {
          problems.push(`${pathText(path)}: escape sequence echoed`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('200 random configurations (fast-check): a Config or a clean ConfigError, no planted value', () => {
    const plantedText = fc.constantFrom(...PLANTS.map((p) => p.text));
    const anyValue = fc.oneof(
      plantedText,
      fc.array(plantedText, { maxLength: 3 }),
      fc.dictionary(plantedText, plantedText, { maxKeys: 2 }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const keys = Object.keys(FULL);
    const config = fc.oneof(
      fc.dictionary(fc.constantFrom(...keys), anyValue, { maxKeys: 6 }),
      fc.jsonValue({ maxDepth: 4 }),
    );
    fc.assert(
      fc.property(config, (c) => {
        const v = verdict(c);
        expect(v.problems).toEqual([]);
        // Planted values appear as values here; as key names only inside the dictionaries above.
        const values = JSON.stringify(c);
        for (const p of PLANTS) {
          if (!values.includes(p.text)) continue;
          const keyed = new RegExp(`"${p.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}":`).test(values);
          if (!keyed) expect(v.message).not.toContain(p.needles[0]);
        }
      }),
      { numRuns: 200, seed: 8_101 },
    );
  });

  it('a null configuration, unknown rule ids in severityOverrides and deep nesting are refused', () => {
    expect.soft(verdict(null).ok, 'null config is refused, not silently defaulted').toBe(false);
    expect.soft(verdict({ severityOverrides: { 'no-such-rule': 'HIGH' } }).ok, 'unknown rule id').toBe(false);
    const deep = verdict({ trustedCidrs: JSON.parse(nested(5000)) });
    expect.soft(deep.ok).toBe(false);
    expect.soft(deep.problems).toEqual([]);
  });

  it('unknown keys named by a planted value (debated: a key name is not a value, but is attacker text)', () => {
    const report = new LeakReport('config-unknown-keys', () => true);
    for (const plant of PLANTS) {
      const v = verdict({ [plant.text]: 1, alerts: { [plant.text]: true } });
      expect(v.ok).toBe(false);
      expect(v.problems).toEqual([]);
      report.check('config', '(unknown key name)', plant, 'replace', { error: v.message });
    }
    report.writeDebated();
  });
});
