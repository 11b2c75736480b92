import { describe, expect, it } from 'vitest';
import { isPlaceholder } from '#shared/detect/secret-patterns';
import { findSecrets, secretDetector } from '#shared/detect/secrets';
import type { DetectorState, TranscriptLine } from '#shared/transcript/types';

const lines = (...texts: string[]): TranscriptLine[] =>
  texts.map((text, i) => ({ n: i + 1, text, erased: [] }));
const kinds = (text: string) => findSecrets(text).map((m) => m.kind);

const KEY_BODY = [
  'MIIEowIBAAKCAQEA2R1E9sA/VTNrqIxHbo1WgbxhnsDOAHE6510vXQm1BM7gjgEF',
  'naJhtcwDyHMywiujs5sk5dBJ7lNsU6BkwMsXC481Tkf5ugPd1A91k55oyhiRiKd+',
  'N5fbXxNohsmTlUNeF9WVws6JTohnN3xwQoN0XtjrqgqOnuLUv3BGpAjPcbkyG/Lk',
];

describe('secretDetector: PEM blocks', () => {
  it('reports the marker and the first body line once, not every body line', () => {
    const found = secretDetector.scan(
      lines(
        '$ cat id_rsa',
        '-----BEGIN RSA PRIVATE KEY-----',
        ...KEY_BODY,
        '-----END RSA PRIVATE KEY-----',
        '$ ls',
      ),
      {},
    );
    expect(found.map((d) => [d.kind, d.line, d.value])).toEqual([
      ['PRIVATE_KEY', 2, '-----BEGIN RSA PRIVATE KEY-----'],
      ['PRIVATE_KEY', 3, KEY_BODY[0]],
    ]);
  });

  it('remembers an open block across deliveries through the (JSON) state', () => {
    const state: DetectorState = {};
    secretDetector.scan([{ n: 1, text: '-----BEGIN OPENSSH PRIVATE KEY-----', erased: [] }], state);
    const carried = JSON.parse(JSON.stringify(state)) as DetectorState;
    const body = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
    const second = secretDetector.scan([{ n: 2, text: body, erased: [] }], carried);
    expect(second.map((d) => d.kind)).toEqual(['PRIVATE_KEY']);
    const plainBody = 'QyNTUxOQAAACDqT5Jz0m2mC3W4xN6vVbQeZ3bX0wYq9bA1cD2eF3gH4iAAAAJg0kP1pNJD9';
    expect(secretDetector.scan([{ n: 3, text: plainBody, erased: [] }], carried)).toEqual([]);
  });

  it('a block cut short by other output closes, so later base64 is not a key', () => {
    const state: DetectorState = {};
    secretDetector.scan(lines('-----BEGIN EC PRIVATE KEY-----', 'cat: write error: Broken pipe'), state);
    expect(state).toEqual({});
    expect(
      secretDetector.scan(
        [{ n: 3, text: 'U29tZSBiYXNlNjQgdGhhdCBpcyBub3QgYSBrZXkgYXQgYWxs', erased: [] }],
        state,
      ),
    ).toEqual([]);
  });
});

describe('secretDetector: context', () => {
  it('a lone 40-character secret on the line after an access key id', () => {
    const found = secretDetector.scan(
      lines('Access key ID: AKIA3BILSUPZXF3NVVPJ', 'Wya6vm8M8ITRM5xyxfuH1rdTuNETSd5dBVIXmSAS'),
      {},
    );
    expect(found.map((d) => d.kind)).toEqual(['AWS_ACCESS_KEY', 'AWS_SECRET_KEY']);
  });

  it('but not three lines later, nor without an access key id before it', () => {
    expect(
      secretDetector
        .scan(lines('AKIA3BILSUPZXF3NVVPJ', 'a', 'b', 'Wya6vm8M8ITRM5xyxfuH1rdTuNETSd5dBVIXmSAS'), {})
        .map((d) => d.kind),
    ).toEqual(['AWS_ACCESS_KEY']);
    expect(secretDetector.scan(lines('Wya6vm8M8ITRM5xyxfuH1rdTuNETSd5dBVIXmSAS'), {})).toEqual([]);
  });

  it('scans erased fragments and a typed command that is not on the screen line', () => {
    const found = secretDetector.scan(
      [
        { n: 7, text: '$ ls', erased: ['export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE'] },
        { n: 8, text: '> done', erased: [], command: 'mysql -uroot -pS3cretPass db' },
      ],
      {},
    );
    expect(found.map((d) => [d.line, d.kind, d.value])).toEqual([
      [7, 'AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE'],
      [8, 'PASSWORD', 'S3cretPass'],
    ]);
  });

  it('reports a value once per line even when it is drawn twice (bracketed paste redraw)', () => {
    const t = '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';
    const found = secretDetector.scan([{ n: 1, text: `$ echo ${t}`, erased: [t] }], {});
    expect(found).toHaveLength(1);
  });
});

describe('findSecrets: look-alikes stay quiet', () => {
  it.each([
    'commit 19a35062af84ef9dbc91f88cf2c739522b4b7329',
    'request-id: 3f2b8c1e-9d4a-4f6b-8e2c-1a7d5b9c0e3f',
    'U29tZSBiYXNlNjQgdGhhdCBpcyBub3QgYSBrZXkgYXQgYWxsIGJ1dCBsb25n',
    'mkdir -p /var/log/app && ssh -p 22 ec2-user@10.0.0.5',
    'docker run -p 8080:80 nginx',
    'tar -xpf backup.tar',
    '    "UserId": "AROA3XFRBF535PLBIFPI4:alice",',
    'sha256sum: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'psql --no-password -h db.internal app',
    'password: must be at least 12 characters long',
  ])('%s', (text) => {
    expect(kinds(text)).toEqual([]);
  });

  it('resolves overlaps by specificity: a token inside a URL is the token, not a URL password', () => {
    const url = 'https://x-access-token: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@github.com/acme/app.git';
    expect(findSecrets(url).map((m) => m.kind)).toEqual(['GITHUB_TOKEN']);
  });

  it('gives exact spans', () => {
    const text = 'export AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"';
    const [m] = findSecrets(text);
    expect(text.slice(m!.start, m!.end)).toBe('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  });

  it('treats variables, masks and file paths as placeholders', () => {
    for (const v of [
      '%DB_PASSWORD%',
      '$PGPASS',
      '********',
      '/run/secrets/db',
      '<password>',
      'xxxxxx',
      'null',
    ])
      expect(isPlaceholder(v)).toBe(true);
    for (const v of ['Summer2024!x', 'P@ssw0rd', 'changeme1']) expect(isPlaceholder(v)).toBe(false);
  });

  it('never throws on hostile input', () => {
    for (const text of [
      '',
      '\u0000\u001b[31m',
      'eyJ'.repeat(5000),
      `${'a'.repeat(100000)}@`,
      '-----BEGIN PRIVATE KEY-----'.repeat(50),
    ])
      expect(() => secretDetector.scan([{ n: 1, text, erased: [text] }], {})).not.toThrow();
  });
});

describe('secretDetector: malformed lines', () => {
  it('skips lines without text instead of throwing', () => {
    const bad = [
      { n: 1 } as unknown as TranscriptLine,
      { n: 2, text: 'AKIAIOSFODNN7EXAMPLE' } as TranscriptLine,
    ];
    expect(secretDetector.scan(bad, {}).map((d) => d.line)).toEqual([2]);
  });
});

describe('secretDetector: state from a store', () => {
  it('ignores a memo of the wrong shape', () => {
    const state: DetectorState = { pem: 'open', keyIdLine: 'x' };
    expect(() =>
      secretDetector.scan(lines('MIIEowIBAAKCAQEA2R1E9sA/VTNrqIxHbo1WgbxhnsDOAHE6510vXQm1BM7gjgEF'), state),
    ).not.toThrow();
    expect(state).toEqual({});
  });
});
