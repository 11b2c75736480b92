import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type Finding, FindingSchema } from '#shared/model/finding';
import { classifyRecord } from '#shared/pipeline/record';
import { makeContext } from './helpers';

const EXAMPLES = join(import.meta.dirname, '../../examples');
const dir = join(EXAMPLES, 'cloudtrail');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The demo inputs in the order the CLI would meet them within each file. */
function records(): unknown[] {
  return [
    ...json(join(dir, '111122223333_CloudTrail_us-east-1_20261120T0740Z_demo.json')).Records,
    ...JSON.parse(
      gunzipSync(
        readFileSync(join(dir, '294599468799_CloudTrail_me-northwest-3r_20240801T1215Z_stratus.json.gz')),
      ).toString('utf8'),
    ).Records,
    ...readFileSync(join(dir, 'eventbridge-events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l)),
  ];
}

describe('demo data with the example config and tags', async () => {
  const ctx = await makeContext({
    config: json(join(EXAMPLES, 'config.json')),
    tags: json(join(EXAMPLES, 'target-tags.json')),
  });
  const findings: Finding[] = [];
  const errors: string[] = [];
  for (const raw of records()) {
    const r = await classifyRecord(raw, ctx);
    findings.push(...r.findings);
    if (r.error) errors.push(r.error);
  }
  const has = (ruleId: string, severity?: string) =>
    findings.some((f) => f.ruleId === ruleId && (severity === undefined || f.severity === severity));

  it('classifies every record', () => {
    expect(errors).toEqual([]);
    for (const f of findings) expect(FindingSchema.safeParse(f).success).toBe(true);
  });

  it('shows a HIGH port forward and a CRITICAL root session', () => {
    expect(has('session-port-forward-sensitive-port', 'HIGH')).toBe(true);
    expect(has('session-root-principal', 'CRITICAL')).toBe(true);
  });

  it.each([
    'session-start-shell',
    'session-port-forward-remote-host',
    'session-ssh-tunnel',
    'session-long-term-key-no-mfa',
    'session-access-denied',
    'session-access-denied-burst',
    'session-production-target',
    'session-untrusted-network',
    'session-off-hours',
    'session-missing-reason',
    'session-resumed-new-ip',
    'session-preferences-changed',
    'monitor-resource-tampering',
    'monitor-cloudtrail-tampering',
  ])('yields %s', (ruleId) => {
    expect(has(ruleId)).toBe(true);
  });

  it('finding ids are unique across the demo', () => {
    expect(new Set(findings.map((f) => f.id)).size).toBe(findings.length);
  });
});
