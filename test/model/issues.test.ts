import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { keyName, pathText, zodMessage } from '#shared/model/issues';
import { PLANTS } from '../session/plants';

describe('keyName and pathText', () => {
  it('show member names, indexes and tag keys as written', () => {
    expect(pathText(['userIdentity', 'sessionContext', 'attributes', 'mfaAuthenticated'])).toBe(
      'userIdentity.sessionContext.attributes.mfaAuthenticated',
    );
    expect(pathText(['resources', 2, 'ARN'])).toBe('resources.2.ARN');
    expect(pathText([])).toBe('(root)');
    expect(keyName('aws:cloudformation:stack-name')).toBe('aws:cloudformation:stack-name');
    expect(keyName('session-start-shell')).toBe('session-start-shell');
  });

  it.each(PLANTS.map((p) => [p.kind, p] as const))('hide a key holding a %s', (_, plant) => {
    expect(keyName(plant.text)).toBe('<key>');
  });

  it('hide an AWS access key id whatever its letters and digits (the documentation example too)', () => {
    for (const id of ['AKIAIOSFODNN7EXAMPLE', 'ASIAABCDEFGHIJKLMNOP', 'AKIA3BILSUPZXF3NVVPJ'])
      expect(keyName(id)).toBe('<key>');
    expect(keyName('AKIA-ROLE-NAME')).toBe('AKIA-ROLE-NAME');
    const r = z.record(z.string(), z.number()).safeParse({ AKIAIOSFODNN7EXAMPLE: 'x' });
    expect(zodMessage(r.error!)).toBe('<key>: expected number');
  });

  it('hide keys with control characters or of unusual length', () => {
    expect(keyName('a\u001b[2Jb')).toBe('<key>');
    expect(keyName('x'.repeat(81))).toBe('<key>');
    expect(keyName(Symbol('s'))).toBe('<key>');
  });
});

describe('zodMessage', () => {
  const Schema = z.strictObject({
    severity: z.enum(['LOW', 'HIGH']),
    flag: z.union([z.string(), z.boolean()]),
    kind: z.discriminatedUnion('type', [
      z.object({ type: z.literal('a') }),
      z.object({ type: z.literal('b') }),
    ]),
    tags: z.record(z.string(), z.number()),
    mail: z.email(),
    code: z.string().regex(/^[A-Z]+$/),
    n: z.number().max(3),
  });

  it.each(PLANTS.map((p) => [p.kind, p] as const))('never carry a planted %s value or key', (_, plant) => {
    const r = Schema.safeParse({
      severity: plant.text,
      flag: { v: plant.text },
      kind: { type: plant.text },
      tags: { [plant.text]: plant.text },
      mail: plant.text,
      code: plant.text,
      n: plant.text,
      [plant.text]: plant.text,
    });
    expect(r.success).toBe(false);
    const lines = zodMessage(r.error!).split('; ');
    // One per member (the e-mail plant is a valid `mail`).
    expect(lines.length).toBeGreaterThanOrEqual(7);
    for (const line of lines) for (const n of plant.needles) expect(line).not.toContain(n);
    expect(lines).toContain('severity: expected one of LOW, HIGH');
    expect(lines).toContain('flag: matches none of the accepted forms');
    expect(lines).toContain('<key>: unknown key');
  });
});
