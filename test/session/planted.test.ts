import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FindingSchema } from '#shared/model/finding';
import { classifyRecord } from '#shared/pipeline/record';
import type { ClassifyResult } from '#shared/session/types';
import {
  CLOUDTRAIL_FIXTURES,
  type ContextSpec,
  exampleCases,
  makeContext,
  readJson,
  recordsOf,
} from './helpers';
import {
  getAt,
  isIdentityPlant,
  type Json,
  leaks,
  MODES,
  PLANTS,
  type Plant,
  plantInto,
  setAt,
  stringPaths,
} from './plants';

/**
 * No planted value leaves classifyRecord: a secret or piece of personal data written into any string
 * member of a real-shaped record (the CloudTrail rules' examples and the real records of
 * test/fixtures/cloudtrail), replacing it, appended to it or as a last path segment, must not appear
 * in a finding (JSON) or the error line; classification never throws; findings stay valid; planted
 * terminal escapes never reach a finding.
 */

interface Case {
  name: string;
  record: Json;
  context: ContextSpec & { previous?: unknown[] };
}

function realCases(): Case[] {
  return [
    'panther-start-session-sso.json',
    'stratus-ssm-start-session.detonation.json',
    'awsdocs-delete-document.json',
    'attacker-cloudtrail.json',
    'attacker-eventbridge.json',
  ]
    .flatMap((file) => recordsOf(readJson(join(CLOUDTRAIL_FIXTURES, file))).map((r, i) => ({ file, r, i })))
    .filter(({ r }) => (r as Json).eventName !== 'DescribeInstanceInformation')
    .map(({ file, r, i }) => ({ name: `${file}#${i}`, record: r as Json, context: {} }));
}

/** Plants go into the record and, for preferences cases, into the document GetDocument returns. */
const CASES: readonly Case[] = [...exampleCases(), ...realCases()];

async function classify(c: Case, record: unknown, context = c.context): Promise<ClassifyResult> {
  const ctx = await makeContext(context);
  for (const prev of context.previous ?? []) await classifyRecord(prev, ctx);
  return classifyRecord(record, ctx);
}

function problems(plant: Plant, r: ClassifyResult): string[] {
  const out: string[] = [];
  const text = `${JSON.stringify(r.findings)}\n${r.error ?? ''}`;
  for (const n of leaks(plant, text)) out.push(`leaked ${n}`);
  for (const f of r.findings)
    if (!FindingSchema.safeParse(f).success) out.push(`invalid finding ${f.ruleId}`);
  if (r.error !== undefined && (r.error.includes('\n') || r.error.length > 300))
    out.push('error not one short line');
  return out;
}

describe('no planted value in findings or errors', () => {
  // Every string member of every case, 2 plants rotating per member, modes rotating: each plant in
  // each member kind over the corpus (about 6 700 cases).
  it('every string member of every case', async () => {
    const failures: string[] = [];
    let runs = 0;
    for (const c of CASES) {
      const paths = stringPaths(c.record);
      for (const [pi, path] of paths.entries()) {
        for (let k = 0; k < 2; k++) {
          const plant = PLANTS[(pi * 2 + k) % PLANTS.length]!;
          const mode = MODES[(pi + k) % MODES.length]!;
          const value = plantInto(String(getAt(c.record, path)), plant.text, mode);
          if (isIdentityPlant(plant, path)) continue;
          const r = await classify(c, setAt(c.record, path, value));
          runs++;
          for (const p of problems(plant, r))
            failures.push(`${c.name} ${path.join('.')} ${plant.kind}/${mode}: ${p}`);
        }
      }
    }
    expect(runs).toBeGreaterThan(6000);
    expect(failures).toEqual([]);
  });

  it('property: a random plant in a random member of a random case', async () => {
    const arb = fc.record({
      c: fc.constantFrom(...CASES),
      at: fc.nat(),
      plant: fc.constantFrom(...PLANTS),
      mode: fc.constantFrom(...MODES),
      twice: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ c, at, plant, mode, twice }) => {
        const paths = stringPaths(c.record);
        if (paths.length === 0) return;
        let record = c.record;
        // Sometimes a second member too: values may meet in one reason.
        for (const path of twice
          ? [paths[at % paths.length]!, paths[(at * 7 + 3) % paths.length]!]
          : [paths[at % paths.length]!]) {
          if (isIdentityPlant(plant, path)) continue;
          record = setAt(record, path, plantInto(String(getAt(record, path)), plant.text, mode));
        }
        expect(problems(plant, await classify(c, record))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('property: plants in the preferences document do not reach findings', async () => {
    const prefCases = CASES.filter((c) => c.context.preferences?.current);
    expect(prefCases.length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...prefCases),
        fc.constantFrom(...PLANTS),
        fc.boolean(),
        async (c, plant, asKey) => {
          const current = { ...c.context.preferences!.current! };
          if (asKey) current[plant.text] = 'x';
          else
            for (const k of Object.keys(current)) if (typeof current[k] === 'string') current[k] = plant.text;
          const r = await classify(c, c.record, {
            ...c.context,
            preferences: { ...c.context.preferences, current },
          });
          expect(problems(plant, r)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** Control, bidi and invisible characters a terminal or viewer would act on. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
const ESCAPES = [
  '\u001b]0;pwned\u0007',
  '\u001b[2J\u001b[31mRED\u001b[0m',
  '\r\b',
  '\u009b1m',
  '\u202eevil\u2066',
  '\u200b\ufeff',
];

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) strings(x, out);
  else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) strings(x, out);
  return out;
}

describe('no terminal escapes in findings', () => {
  it('property: escapes planted in a random member never reach a finding or the error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CASES),
        fc.nat(),
        fc.constantFrom(...ESCAPES),
        async (c, at, esc) => {
          const paths = stringPaths(c.record);
          if (paths.length === 0) return;
          const path = paths[at % paths.length]!;
          const r = await classify(c, setAt(c.record, path, `${String(getAt(c.record, path))}${esc}x`));
          for (const s of [...strings(r.findings), r.error ?? '']) expect(s).not.toMatch(UNSAFE);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('an e-mail naming the actor', () => {
  it('is shown in the principal and session id, while a URL password in the same members is not', async () => {
    const c = CASES.find((x) => x.name.startsWith('panther-start-session-sso.json'))!;
    const email = setAt(
      setAt(
        c.record,
        ['userIdentity', 'arn'],
        'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane.doe@example.org',
      ),
      ['responseElements', 'sessionId'],
      'jane.doe@example.org-0a1b2c3d4e5f67890',
    );
    const shown = JSON.stringify((await classify(c, email)).findings);
    expect(shown).toContain('assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane.doe@example.org');
    expect(shown).toContain('"sessionId":"jane.doe@example.org-0a1b2c3d4e5f67890"');
    const url = setAt(c.record, ['responseElements', 'sessionId'], 'https://bob:S3cr3tPass@db.example.net/x');
    expect(JSON.stringify((await classify(c, url)).findings)).not.toContain('S3cr3tPass');
  });
});
