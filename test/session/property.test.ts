import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyRecord } from '#shared/pipeline/record';
import { parseRecord, unwrapEnvelope } from '#shared/session/index';
import { CLOUDTRAIL_FIXTURES, makeContext, readJson, recordsOf } from './helpers';

const real = [
  ...recordsOf(readJson(join(CLOUDTRAIL_FIXTURES, 'stratus-ssm-start-session.detonation.json'))).filter(
    (r) => (r as { eventName?: string }).eventName !== 'DescribeInstanceInformation',
  ),
  readJson(join(CLOUDTRAIL_FIXTURES, 'panther-start-session-sso.json')),
  readJson(join(CLOUDTRAIL_FIXTURES, 'awsdocs-delete-document.json')),
  readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-cloudtrail.json')),
  readJson(join(CLOUDTRAIL_FIXTURES, 'attacker-eventbridge.json')),
];

/** Every path to a member of a JSON value, so a mutation can hit any depth. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null) return [prefix];
  const keys = Object.keys(v);
  return [prefix, ...keys.flatMap((k) => paths((v as Record<string, unknown>)[k], [...prefix, k]))];
}

function setAt(root: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string, unknown>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return copy;
}

const mutated = fc
  .tuple(
    fc.constantFrom(...real),
    fc.nat(),
    fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string({ maxLength: 5000 })),
  )
  .map(([record, i, value]) => {
    const all = paths(record);
    return setAt(record, all[i % all.length]!, value);
  });

const config = {
  trustedCidrs: ['10.0.0.0/8', '2001:db8::/32'],
  businessHours: { timezone: 'Europe/Berlin' },
};

describe('never throws', () => {
  it('parseRecord and unwrapEnvelope on arbitrary JSON and values', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json().map((t) => JSON.parse(t) as unknown),
          fc.anything(),
        ),
        (raw) => {
          const r = parseRecord(unwrapEnvelope(raw));
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.error).not.toContain('\n');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('classifyRecord on arbitrary values', async () => {
    const ctx = await makeContext({ config, tags: { 'i-0e57975fb4405c6a9': { Environment: 'prod' } } });
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (raw) => {
        const r = await classifyRecord(raw, ctx);
        expect(Array.isArray(r.findings)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('classifyRecord on mutated real records', async () => {
    const ctx = await makeContext({
      config: { ...config, requireReasonOnProduction: true },
      tags: { 'i-0e57975fb4405c6a9': { Environment: 'prod' } },
      preferences: { before: { s3BucketName: 'b' }, current: { inputs: { s3BucketName: 'b' } } },
    });
    await fc.assert(
      fc.asyncProperty(mutated, async (raw) => {
        const r = await classifyRecord(raw, ctx);
        if (r.error !== undefined) expect(r.error).not.toContain('\n');
        for (const f of r.findings) {
          expect(JSON.stringify(f)).not.toContain('Value hidden due to security reasons');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
