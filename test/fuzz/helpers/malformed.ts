import * as fc from 'fast-check';
import { ESCAPES } from './plant';

/**
 * Malformed, huge and hostile inputs. `broken` ones are not JSON at all (or not a whole value): a reader
 * must report them (an error line, exit 2), never pass over them in silence.
 */
export interface BadText {
  name: string;
  bytes: Buffer;
  broken: boolean;
}

const text = (name: string, s: string, broken: boolean): BadText => ({ name, bytes: Buffer.from(s), broken });

export const nested = (depth: number, open = '[', close = ']', inner = '') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

/** A StartSession-looking record whose fields are hostile but whose JSON is whole. */
const HOSTILE_RECORD = {
  eventVersion: '1.08',
  eventSource: 'ssm.amazonaws.com',
  eventName: 'StartSession',
  eventTime: '2026-11-22T02:03:28Z',
  userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/${ESCAPES}`, userName: ESCAPES },
  requestParameters: { target: `i-0abc${ESCAPES}` },
  responseElements: { sessionId: `x${ESCAPES}` },
};

/** One line each (no newline inside), so JSON Lines keeps them one item. */
export const BAD_LINES: readonly BadText[] = [
  text(
    'truncated record',
    '{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1',
    true,
  ),
  text('5000 open brackets', '['.repeat(5000), true),
  text('5000 nested arrays', nested(5000), false),
  text('5000 nested objects', nested(5000, '{"a":', '}', '1'), false),
  text('binary with NUL', '\u0000\u0001\u0002\u00ff\u00fe{\u0000}', true),
  text('BOM then a record', '\ufeff{"eventName":"StartSession","eventSource":"ssm.amazonaws.com"}', false),
  text(
    'raw NUL inside a string',
    '{"eventName":"Start\u0000Session","eventSource":"ssm.amazonaws.com"}',
    false,
  ),
  text(
    'escaped NUL in fields',
    '{"eventName":"StartSession\\u0000","eventSource":"ssm.amazonaws.com\\u0000"}',
    false,
  ),
  text(
    'lone surrogate',
    '{"eventName":"\\ud800","eventSource":"ssm.amazonaws.com","userIdentity":{"arn":"\\udfff"}}',
    false,
  ),
  text(
    'huge string field',
    JSON.stringify({ eventSource: 'ssm.amazonaws.com', eventName: 'x'.repeat(3_000_000) }),
    false,
  ),
  text(
    'prototype keys',
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"eventName":"StartSession"}',
    false,
  ),
  text('odd numbers', '{"eventVersion":1e400,"eventTime":-0,"eventName":1.7976931348623157e309}', false),
  text(
    'duplicate keys',
    '{"eventName":"StartSession","eventName":{"x":1},"eventSource":"ssm.amazonaws.com"}',
    false,
  ),
  text('not an object', '42', false),
  text('a bare string', '"StartSession"', false),
  text('null', 'null', false),
  text(
    'control chars in keys',
    JSON.stringify({ [`event${ESCAPES}Name`]: 'StartSession', eventSource: 'ssm.amazonaws.com' }),
    false,
  ),
  text('escape sequences in names', JSON.stringify(HOSTILE_RECORD), false),
  text('records not an array', '{"Records":{"eventName":"StartSession"}}', false),
  text('records of junk', '{"Records":[1,"x",null,[],{"eventName":[]}]}', false),
  {
    name: 'invalid UTF-8',
    bytes: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]),
    broken: false,
  },
];

/** A hostile JSON value for one field: wrong type, huge, deep, or full of control characters. */
export const WRONG_VALUES: ReadonlyArray<{ name: string; value: unknown }> = [
  { name: 'null', value: null },
  { name: 'number', value: 42 },
  { name: 'boolean', value: true },
  { name: 'array', value: ['x', 1] },
  { name: 'object', value: { nested: { x: 1 } } },
  { name: 'empty string', value: '' },
  { name: 'huge string', value: 'A'.repeat(200_000) },
  { name: 'escapes', value: ESCAPES },
  { name: 'deep array', value: JSON.parse(nested(2000)) as unknown },
];

/** Arbitrary broken lines: random bytes, random text, random JSON cut short. */
export const brokenLine: fc.Arbitrary<Buffer> = fc.oneof(
  fc
    .uint8Array({ minLength: 1, maxLength: 300 })
    .map((b) => Buffer.from(b.map((x) => (x === 0x0a ? 0x20 : x)))),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).map((s) => Buffer.from(s.replace(/\n/g, ' '))),
  fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat()).map(([v, cut]) => {
    const s = JSON.stringify(v) ?? 'null';
    return Buffer.from(s.slice(0, Math.max(1, cut % Math.max(1, s.length))));
  }),
);

/** Arbitrary whole JSON values (one line) in place of a record. */
export const jsonLine: fc.Arbitrary<Buffer> = fc
  .jsonValue({ maxDepth: 5 })
  .map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));

/** Byte-level damage to a whole file: flips, inserted bytes, cuts, inserted bracket runs. */
export const damage: fc.Arbitrary<(b: Buffer) => Buffer> = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ maxLength: 20 }),
      }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('brackets' as const),
        at: fc.nat(),
        n: fc.integer({ min: 100, max: 6000 }),
      }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((ops) => (input: Buffer) => {
    let b = Buffer.from(input);
    for (const op of ops) {
      const at = b.length ? op.at % b.length : 0;
      if (op.kind === 'flip' && b.length) b[at] = op.byte;
      if (op.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(op.bytes), b.subarray(at)]);
      if (op.kind === 'cut') b = b.subarray(0, at);
      if (op.kind === 'brackets')
        b = Buffer.concat([b.subarray(0, at), Buffer.from('['.repeat(op.n)), b.subarray(at)]);
    }
    return b;
  });

/** A CloudWatch Logs DATA_MESSAGE with random members and log events (before gzip and base64). */
export const randomDeliveryMessage = fc.record(
  {
    messageType: fc.oneof(fc.constant('DATA_MESSAGE'), fc.jsonValue({ maxDepth: 1 })),
    logStream: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
    logEvents: fc.oneof(
      fc.array(
        fc.record(
          {
            id: fc.oneof(fc.string(), fc.integer()),
            timestamp: fc.jsonValue({ maxDepth: 0 }),
            message: fc.oneof(
              fc.string(),
              jsonLine.map((b) => b.toString()),
              fc.jsonValue({ maxDepth: 2 }),
            ),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 5 },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: [] },
);
