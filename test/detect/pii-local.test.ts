import { describe, expect, it } from 'vitest';
import { type LocalPiiMatcher, PiiEngine, type PiiEngineRule } from '#shared/detect/pii-engine';
import { createLocalPiiDetector, createLocalPiiScanner, findLocalPii } from '#shared/detect/pii-local';
import { DEFAULT_CONFIG, parseConfig } from '#shared/model/config';
import { LOCAL_PII_RULES, piiSeverity } from '#shared/rules/pii-rules';
import type { DetectorState, TranscriptLine } from '#shared/transcript/types';

const localPiiDetector = createLocalPiiDetector(DEFAULT_CONFIG);
const localPiiScanner = createLocalPiiScanner(DEFAULT_CONFIG);

const line = (n: number, text: string, extra: Partial<TranscriptLine> = {}): TranscriptLine => ({
  n,
  text,
  erased: [],
  ...extra,
});
const found = (text: string) => findLocalPii(text).map((m) => [m.kind, m.value]);

describe('findLocalPii', () => {
  it.each(
    [
      ['(919) 555-0179', 'PHONE'],
      ['919-555-0179', 'PHONE'],
      ['+1 (919) 555-0179', 'PHONE'],
      ['+1-617-555-0110', 'PHONE'],
      ['+49 30 901820', 'PHONE'],
      ['+4915123456789', 'PHONE'],
      ['4012888888881881', 'CREDIT_DEBIT_NUMBER'],
      ['5500 0055 5555 5559', 'CREDIT_DEBIT_NUMBER'],
      ['2223-0031-2200-3222', 'CREDIT_DEBIT_NUMBER'],
      ['3530111333300000', 'CREDIT_DEBIT_NUMBER'],
      ['30569309025904', 'CREDIT_DEBIT_NUMBER'],
      ['6200000000000005', 'CREDIT_DEBIT_NUMBER'],
      ['NL91 ABNA 0417 1643 00', 'INTERNATIONAL_BANK_ACCOUNT_NUMBER'],
      ['first.last+tag@mail.example.co.uk', 'EMAIL'],
      ['536-22-8745', 'SSN'],
    ].map(([value, kind], i) => ({ value, kind, i })),
  )('$kind example $i', ({ value, kind }) => {
    expect(found(`value: ${value} end`)).toEqual([[kind, value]]);
  });

  it.each([
    ['a date and time', '2026-11-22T02:03:27Z and 2026-11-22 02:00:46'],
    ['an IPv4 address', 'from 198.51.100.243 to 10.0.1.203'],
    ['a version', 'Python 3.11.2 PSVersion: 5.1.20348.2652 build 10.0.20348.2652'],
    ['df output', '/dev/vda                 252G   24G   79G  23% /'],
    ['free output', 'Mem:           24105         295       23868           8         134       23809'],
    [
      'ps output',
      'root           1  0.0  0.0   4492  3232 ?        S    02:00   0:00 /usr/lib/systemd/systemd',
    ],
    ['a Luhn-invalid card', '4111 1111 1111 1112'],
    ['an epoch in ms', 'generated 1767225600000 and 1798761600'],
    ['a CloudWatch event id', '37529157373562591828418383245389632716312290453612183552'],
    ['an invalid SSN without a label', 'ticket 900-12-3456'],
    ['a bare 10-digit number', 'order 9195550179 shipped'],
    ['an IBAN with a bad check digit', 'GB83WEST12345698765432'],
    ['an EC2 host name', 'ssh ec2-user@ip-10-0-1-23.ec2.internal'],
    ['a UUID', '3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e3f'],
  ])('quiet on %s', (_what, text) => {
    expect(findLocalPii(text)).toEqual([]);
  });

  it('finds values glued to a label or inside JSON', () => {
    expect(found('phone:919-555-0179')).toEqual([['PHONE', '919-555-0179']]);
    expect(found('{"card":"5555555555554444","mail":"x.y@example.net"}')).toEqual([
      ['CREDIT_DEBIT_NUMBER', '5555555555554444'],
      ['EMAIL', 'x.y@example.net'],
    ]);
  });

  it('cuts an IBAN at its registered length when more text follows', () => {
    expect(found('IBAN DE89 3704 0044 0532 0130 00 EUR 1200')).toEqual([
      ['INTERNATIONAL_BANK_ACCOUNT_NUMBER', 'DE89 3704 0044 0532 0130 00'],
    ]);
  });

  it('reports invalid SSN shapes only next to an SSN label', () => {
    expect(found("{'ssn': '900-12-3456'}")).toEqual([['SSN', '900-12-3456']]);
    expect(found('Social Security: 536 22 8745')).toEqual([['SSN', '536 22 8745']]);
    expect(found('ssn 666 12 3456')).toEqual([]);
    expect(found('id 536 22 8745')).toEqual([]);
  });

  it('the user:password@host of a URL is a login, not an e-mail (the secret rules report the password)', () => {
    expect(found('curl https://deploy:Sup3rSecret@nexus.example.com/repo')).toEqual([]);
    expect(found('git clone https://alice@git.example.com/acme/app.git')).toEqual([]);
    expect(found('DSN="mysql://app:Pw9x@db.example.net/shop"')).toEqual([]);
    // Not user info: an address after the host, or after a blank that follows a URL.
    expect(found('https://example.com/u/jane.doe@example.org')).toEqual([['EMAIL', 'jane.doe@example.org']]);
    expect(found('see https://example.com/ jane.doe@example.org')).toEqual([
      ['EMAIL', 'jane.doe@example.org'],
    ]);
    expect(found('user:jane.doe@example.org')).toEqual([['EMAIL', 'jane.doe@example.org']]);
  });
});

describe('localPiiDetector', () => {
  const header = 'id,name,ssn,card';
  const row = '7,"Doe, Jane",900-12-3456,4111111111111111';

  it('uses an ssn column from a CSV header seen in an earlier delivery (JSON state)', () => {
    const state: DetectorState = {};
    expect(localPiiDetector.scan([line(1, '$ cat people.csv'), line(2, header)], state)).toEqual([]);
    const carried = JSON.parse(JSON.stringify(state)) as DetectorState;
    const hits = localPiiDetector.scan([line(3, row)], carried);
    expect(hits.map((d) => [d.line, d.kind, d.value, d.ruleId])).toEqual([
      [3, 'SSN', '900-12-3456', 'pii-ssn'],
      [3, 'CREDIT_DEBIT_NUMBER', '4111111111111111', 'pii-credit-debit-number'],
    ]);
  });

  it('ignores the header for rows of another shape or another column', () => {
    const state: DetectorState = {};
    localPiiDetector.scan([line(1, header)], state);
    expect(localPiiDetector.scan([line(2, '7,900-12-3456,x,y')], state)).toEqual([]);
    expect(localPiiDetector.scan([line(3, '7,x,900-12-3456')], state)).toEqual([]);
  });

  it('scans erased fragments and off-screen commands', () => {
    const hits = localPiiDetector.scan(
      [
        line(4, '$ ls', { erased: ['4111 1111 1111 1111'] }),
        line(5, '> x', { command: 'grep jane@example.com log' }),
      ],
      {},
    );
    expect(hits.map((d) => [d.line, d.kind])).toEqual([
      [4, 'CREDIT_DEBIT_NUMBER'],
      [5, 'EMAIL'],
    ]);
  });

  it('takes severities and the score threshold from config', () => {
    const strict = createLocalPiiDetector(
      parseConfig({ pii: { minScore: 0.9, typeSeverity: { PHONE: 'HIGH' } } }),
    );
    const text = 'call 919-555-0179 or (919) 555-0179';
    expect(strict.scan([line(1, text)], {}).map((d) => [d.value, d.severity])).toEqual([
      ['(919) 555-0179', 'HIGH'],
    ]);
    expect(localPiiDetector.scan([line(1, text)], {}).map((d) => d.severity)).toEqual(['LOW', 'LOW']);
  });

  it('reports each value once per line', () => {
    expect(
      localPiiDetector.scan([line(1, 'a@example.com a@example.com', { erased: ['a@example.com'] })], {}),
    ).toHaveLength(1);
  });

  it('is also a PiiScanner', async () => {
    const hits = await localPiiScanner.scan([line(1, 'mail bob@example.org')], {}, 'sess-1');
    expect(hits.map((d) => d.kind)).toEqual(['EMAIL']);
  });

  it('never throws on hostile input', () => {
    for (const text of [
      '',
      '\u0000',
      '9'.repeat(200000),
      '@'.repeat(50000),
      `${'1,'.repeat(5000)}ssn`,
      '+'.repeat(1000),
    ])
      expect(() => localPiiDetector.scan([line(1, text, { erased: [text] })], {})).not.toThrow();
  });
});

describe('localPiiDetector: malformed lines', () => {
  it('skips lines without text instead of throwing', () => {
    const bad = [
      { n: 1 } as unknown as TranscriptLine,
      { n: 2, text: 'mail a@example.com' } as TranscriptLine,
    ];
    expect(localPiiDetector.scan(bad, {}).map((d) => d.line)).toEqual([2]);
  });
});

describe('localPiiDetector: state from a store', () => {
  it('drops malformed table headers instead of throwing', () => {
    const state: DetectorState = { tables: [{ sep: ',', columns: 3, ssn: [1] }, 'junk', { sep: 1 }] };
    const hits = localPiiDetector.scan([line(1, 'x,900-12-3456,y')], state);
    expect(hits.map((d) => d.kind)).toEqual(['SSN']);
    expect(state).toEqual({ tables: [{ sep: ',', columns: 3, ssn: [1] }] });
    expect(() => localPiiDetector.scan([line(2, 'a')], { tables: 'junk' })).not.toThrow();
  });
});

describe('PiiEngine', () => {
  /** A rule whose one matcher reports every match of `re` and logs that it ran. */
  function fake(
    id: string,
    re: RegExp,
    gates: Partial<LocalPiiMatcher> = {},
    ran: string[] = [],
  ): PiiEngineRule {
    return {
      id,
      kind: id.toUpperCase(),
      local: [
        {
          minDigits: 0,
          ...gates,
          find({ text }, out) {
            ran.push(id);
            for (const m of text.matchAll(re)) out.add(m.index, m[0], 0.9);
          },
        },
      ],
    };
  }

  it('runs the rules of the catalogue: every match names the rule that found it', () => {
    const ids = new Set(LOCAL_PII_RULES.map((r) => r.id));
    const text = 'a@example.org 4111 1111 1111 1111 DE89 3704 0044 0532 0130 00 536-22-8745 919-555-0179';
    const matches = findLocalPii(text);
    expect(matches.map((m) => m.ruleId)).toEqual([
      'pii-email',
      'pii-credit-debit-number',
      'pii-iban',
      'pii-ssn',
      'pii-phone',
    ]);
    for (const m of matches) expect(ids.has(m.ruleId)).toBe(true);
  });

  it('keeps the earlier rule of two overlapping values, and sorts by start', () => {
    const digits = fake('digits', /\d+/g);
    const word = fake('word', /[a-z0-9]+/g);
    const run = (rules: PiiEngineRule[]) =>
      new PiiEngine(rules).find('ab12 cd 34').map((m) => [m.ruleId, m.value]);
    expect(run([digits, word])).toEqual([
      ['digits', '12'],
      ['word', 'cd'],
      ['digits', '34'],
    ]);
    expect(run([word, digits])).toEqual([
      ['word', 'ab12'],
      ['word', 'cd'],
      ['word', '34'],
    ]);
  });

  it('skips a matcher whose gates a line does not pass', () => {
    const ran: string[] = [];
    const engine = new PiiEngine([
      fake('at', /@/g, { needs: '@' }, ran),
      fake('five', /\d/g, { minDigits: 5 }, ran),
    ]);
    expect(engine.find('1234 no at')).toEqual([]);
    expect(ran).toEqual([]);
    expect(engine.find('12345 @').map((m) => m.ruleId)).toEqual([
      'five',
      'five',
      'five',
      'five',
      'five',
      'at',
    ]);
    expect(ran).toEqual(['at', 'five']);
  });

  it('remembers a header a matcher recognises and hands its columns to later lines', () => {
    const seen: unknown[] = [];
    const rule: PiiEngineRule = {
      id: 'col',
      kind: 'COL',
      local: [
        {
          minDigits: 0,
          header: (text) => (text === 'HEAD' ? { sep: ',', columns: 2, ssn: [1] } : undefined),
          find({ tables }) {
            seen.push(tables);
          },
        },
      ],
    };
    const state: DetectorState = {};
    const detector = new PiiEngine([rule]).detector(DEFAULT_CONFIG, piiSeverity);
    expect(detector.scan([line(1, 'HEAD'), line(2, 'row')], state)).toEqual([]);
    expect(seen).toEqual([[{ sep: ',', columns: 2, ssn: [1] }]]);
    expect(state).toEqual({ tables: [{ sep: ',', columns: 2, ssn: [1] }] });
  });
});
