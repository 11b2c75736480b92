import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { describeError, InputError, redact, zodMessage } from '#shared/errors';
import { ConfigError } from '#shared/model/config';
import { PLANTS } from './session/plants';

/** What a thrown value may turn into: one short line, no control characters. */
function oneSafeLine(s: string): void {
  expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  expect(s.length).toBeLessThanOrEqual(1000);
  expect(s.length).toBeGreaterThan(0);
}

describe('describeError', () => {
  it('keeps our own messages (InputError, ConfigError) whole', () => {
    expect(describeError(new InputError('record 3: eventTime: not a valid date-time'))).toBe(
      'record 3: eventTime: not a valid date-time',
    );
    expect(describeError(new ConfigError('config key "alerts.minSeverity": expected one of LOW, HIGH'))).toBe(
      'config key "alerts.minSeverity": expected one of LOW, HIGH',
    );
  });

  it('reduces JSON.parse errors to the problem and the position, never the quoted input', () => {
    for (const [text, expected] of [
      ['{"k": AKIAQ2WX7RZLM3KD5TPV}', /^invalid JSON at position 6$|^invalid JSON/],
      ['{"card": "4111 1111 1111 1111', /^truncated JSON/],
      ['[1] jane.doe@example.org', /^invalid JSON \(data after the value\)/],
    ] as const) {
      let message = '';
      try {
        JSON.parse(text);
      } catch (e) {
        message = describeError(e);
      }
      expect(message).toMatch(expected);
      for (const secret of ['AKIAQ2WX7RZLM3KD5TPV', '4111', 'jane.doe'])
        expect(message).not.toContain(secret);
    }
  });

  it('names file system errors by their code, without the path', () => {
    const e = Object.assign(
      new Error("ENOENT: no such file or directory, open '/home/jane.doe@example.org/x.json'"),
      {
        code: 'ENOENT',
      },
    );
    expect(describeError(e)).toBe('no such file or directory');
  });

  it('reduces AWS SDK errors to their name and HTTP status', () => {
    const e = Object.assign(new Error('User AKIAQ2WX7RZLM3KD5TPV is not authorized: jane.doe@example.org'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(describeError(e)).toBe('AccessDeniedException (HTTP 400)');
  });

  it('says which members a zod error names, not the values', () => {
    const r = z
      .object({ eventTime: z.string(), severity: z.enum(['LOW']) })
      .safeParse({ eventTime: 5, severity: 'AKIAQ2WX7RZLM3KD5TPV' });
    const message = describeError(r.error);
    expect(message).toBe('invalid input: eventTime: expected string; severity: expected LOW');
  });

  it.each(PLANTS.map((p) => [p.kind, p] as const))(
    'masks a %s in any other message, quoted or not',
    (_, plant) => {
      for (const e of [
        new Error(`failed for ${plant.text} at step 2`),
        new TypeError(`Cannot read properties of undefined (reading '${plant.text}')`),
        new RangeError(`value "${plant.text}" out of range`),
        new Error(`${plant.text}\nsecond line`),
        Object.assign(new Error('x'), { name: `Custom ${plant.text}` }),
      ]) {
        const message = describeError(e);
        oneSafeLine(message);
        for (const n of plant.needles) expect(message).not.toContain(n);
      }
    },
  );

  it('never throws, whatever was thrown', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    for (const v of [
      undefined,
      null,
      42,
      'AKIAQ2WX7RZLM3KD5TPV',
      Symbol('x'),
      hostile,
      { message: 5 },
      new Error(''),
    ]) {
      const message = describeError(v);
      oneSafeLine(message);
      expect(message).not.toContain('AKIAQ2WX7RZLM3KD5TPV');
    }
  });

  it('strips terminal escapes and cuts long messages', () => {
    const message = describeError(new Error(`\u001b]0;pwned\u0007\u001b[2J${'x '.repeat(1000)}`));
    oneSafeLine(message);
    expect(message.length).toBeLessThanOrEqual(200);
    expect(redact('plain words only')).toBe('plain words only');
  });
});

describe('zodMessage: the one way a validation error becomes text', () => {
  const Schema = z.strictObject({
    name: z.string({ error: 'must be set' }),
    level: z.enum(['LOW', 'HIGH']),
    ports: z.array(z.number()),
    tags: z.record(z.string(), z.number()),
    nested: z.strictObject({ on: z.boolean() }).optional(),
  });
  const issues = (input: unknown) => Schema.safeParse(input).error!;

  it('names each key path and the problem, in schema order, never the value', () => {
    const message = zodMessage(
      issues({ name: 5, level: 'AKIAQ2WX7RZLM3KD5TPV', ports: ['jane@example.com'], tags: {} }),
    );
    expect(message).toBe('name: must be set; level: expected one of LOW, HIGH; ports.0: expected number');
  });

  it("keeps a message the schema wrote, shortens zod's generic wording", () => {
    expect(zodMessage(issues({ name: undefined, level: 'LOW', ports: 'x', tags: {} }))).toBe(
      'name: must be set; ports: expected array',
    );
  });

  it('names an unknown key at its own path, and a key taken from the input only when it looks like a name', () => {
    const message = zodMessage(
      issues({
        name: 'a',
        level: 'LOW',
        ports: [],
        tags: { ok: 'x', AKIAQ2WX7RZLM3KD5TPV: 'y' },
        nested: { of: 1 },
      }),
    );
    expect(message).toBe(
      'tags.ok: expected number; tags.<key>: expected number; nested.on: expected boolean; nested.of: unknown key',
    );
  });

  it('names at most max problems and counts the rest; writes the location as asked', () => {
    const error = issues({});
    expect(zodMessage(error, { max: 1 })).toBe('name: must be set (+3 more)');
    expect(zodMessage(error, { max: 2, at: (p) => `key "${p}"` })).toBe(
      'key "name": must be set; key "level": expected one of LOW, HIGH (+2 more)',
    );
    expect(zodMessage(z.string().safeParse(1).error!, { root: '(record)' })).toBe(
      '(record): expected string',
    );
    expect(zodMessage([])).toBe('');
  });

  it('reads Standard Schema issues too (path segments as {key}, no code)', () => {
    expect(
      zodMessage([{ message: 'Required', path: [{ key: 'detail' }, { key: 'id' }] }, { message: 'x' }]),
    ).toBe('detail.id: Required; (root): x');
  });

  it('no plant in a value or a record key comes back', () => {
    for (const plant of PLANTS) {
      const message = zodMessage(
        issues({
          name: plant.text,
          level: plant.text,
          ports: [plant.text],
          tags: { [plant.text]: plant.text },
        }),
      );
      for (const n of plant.needles) expect(message).not.toContain(n);
    }
  });
});
