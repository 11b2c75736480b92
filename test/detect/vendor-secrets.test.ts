import { describe, expect, it } from 'vitest';
import { createLocalPiiScanner, findLocalPii } from '#shared/detect/pii-local';
import { findSecrets, secretDetector } from '#shared/detect/secrets';
import {
  base62,
  base64JsonObject,
  crc32,
  githubChecksumValid,
  grafanaChecksumValid,
} from '#shared/detect/validators';
import { mask } from '#shared/mask';
import { DEFAULT_CONFIG } from '#shared/model/config';
import { SECRET_KINDS, SECRET_RULES } from '#shared/rules/secret-rules';
import { createCommandDetector } from '#shared/transcript/commands';
import { scanTranscript } from '#shared/transcript/scan';
import type { TranscriptChunk } from '#shared/transcript/types';

/**
 * The token kinds of secretlint's recommended preset (13.x), each in the forms a shell session shows
 * it: exported, in a config file, in a header. All values are fake; checksums are computed.
 */

const kinds = (text: string) => findSecrets(text).map((m) => m.kind);
const B = 'Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qa9Ws1Ed3Rf5Tg7Yh9Uj1Ik3Ol5Pz';

/** An npm (or GitHub) token body with its CRC-32 base62 checksum. */
const withCrc = (prefix: string, random30: string) => `${prefix}${random30}${base62(crc32(random30), 6)}`;
const NPM = withCrc('npm_', 'Fk7qR2mXw9LpZt4BvN8cYh3JdS6aGe');

function glsa(random32: string): string {
  const key = `glsa_${random32}`;
  const c = crc32(key);
  let hex = '';
  for (let i = 0; i < 4; i++) hex += ((c >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return `${key}_${hex}`;
}
const GLSA = glsa(B.slice(0, 32));
const OPS = `ops_${Buffer.from(JSON.stringify({ email: 'svc@1passwordserviceaccounts.example', muk: { k: B }, secretKey: 'A3-FAKE' })).toString('base64')}`;

const cases: Array<[string, string]> = [
  [`//registry.npmjs.org/:_authToken=${NPM}`, 'NPM_TOKEN'],
  [`npm config set //registry.npmjs.org/:_authToken ${NPM}`, 'NPM_TOKEN'],
  [`OPENAI_API_KEY=sk-proj-${B.slice(0, 50)}T3BlbkFJ${B.slice(0, 50)}`, 'OPENAI_API_KEY'],
  [`"x-api-key: sk-ant-api03-${B}${B.slice(0, 20)}AA"`, 'ANTHROPIC_API_KEY'],
  [`sk-ant-admin01-${B}${B.slice(0, 20)}AA`, 'ANTHROPIC_API_KEY'],
  [`GROQ_API_KEY=gsk_${B.slice(0, 52)}`, 'GROQ_API_KEY'],
  ['HF_TOKEN=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', 'HUGGINGFACE_TOKEN'],
  [`Authorization: lin_api_${B.slice(0, 40)}`, 'LINEAR_API_KEY'],
  [`NOTION_API_KEY=ntn_12345678901${B.slice(0, 35)}`, 'NOTION_TOKEN'],
  [`SENDGRID_API_KEY='SG.${B.slice(0, 22)}.${B.slice(1, 44)}'`, 'SENDGRID_API_KEY'],
  ['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', 'SHOPIFY_TOKEN'],
  [`grafana_token: ${GLSA}`, 'GRAFANA_TOKEN'],
  [`VAULT_TOKEN=hvs.${B}${B.slice(0, 30)}`, 'VAULT_TOKEN'],
  [`X-Vault-Token: hvb.${B}${B}${B.slice(0, 10)}`, 'VAULT_TOKEN'],
  [`vercel deploy --token vca_${B.slice(0, 24)}`, 'VERCEL_TOKEN'],
  ['databricks configure --token dapi0a1b2c3d4e5f60718293a4b5c6d7e8f9', 'DATABRICKS_TOKEN'],
  [`docker login -u ci -p dckr_pat_${B.slice(0, 27)}`, 'DOCKER_HUB_TOKEN'],
  [`X-Figma-Token: figd_${B.slice(0, 40)}`, 'FIGMA_TOKEN'],
  [`CLOUDFLARE_API_KEY=cfk_${B.slice(0, 48)}`, 'CLOUDFLARE_API_TOKEN'],
  [`cfat_${B.slice(2, 50)}`, 'CLOUDFLARE_API_TOKEN'],
  [
    `curl https://api.stripe.com/v1/charges -H "Authorization: Bearer rk_live_${B.slice(0, 60)}"`,
    'STRIPE_KEY',
  ],
  [`TS_AUTHKEY=tskey-client-k${B.slice(0, 12)}CNTRL-${B.slice(0, 40)}`, 'TAILSCALE_KEY'],
  [`OP_SERVICE_ACCOUNT_TOKEN=${OPS}`, 'ONEPASSWORD_TOKEN'],
  ['  "private_key_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",', 'GCP_SERVICE_ACCOUNT_KEY'],
  ['"{\\"private_key_id\\": \\"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c\\"}"', 'GCP_SERVICE_ACCOUNT_KEY'],
  ['client_secret: Ab18Q~Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Y', 'AZURE_CLIENT_SECRET'],
  ['postgres://app:S3cr3tPw@db:5432/x', 'PASSWORD'],
  ['https://user:Pa55word@host.example.com/path', 'PASSWORD'],
  ['jdbc:mysql://root:My5qlPw@db.internal:3306/shop', 'PASSWORD'],
];

describe('vendor tokens of the secretlint recommended preset', () => {
  it.each(cases.map(([text, kind], i) => ({ text, kind, i })))('$kind example $i', ({ text, kind }) => {
    expect(kinds(text)).toEqual([kind]);
  });

  it('every new kind has a rule and a case here', () => {
    const covered = new Set(cases.map(([, k]) => k));
    const old = new Set(['AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'AWS_SESSION_TOKEN', 'PRIVATE_KEY']);
    for (const k of SECRET_KINDS) {
      if (old.has(k) || ['GITHUB_TOKEN', 'GITLAB_TOKEN', 'SLACK_TOKEN', 'SLACK_WEBHOOK', 'JWT'].includes(k))
        continue;
      expect(covered.has(k), k).toBe(true);
      expect(SECRET_RULES.some((r) => r.kind === k)).toBe(true);
    }
  });

  it('reports the token alone, not the label or quotes around it', () => {
    const text = `export NPM_TOKEN="${NPM}"`;
    const [m] = findSecrets(text);
    expect(text.slice(m!.start, m!.end)).toBe(NPM);
  });
});

describe('checksums and shapes keep look-alikes quiet', () => {
  it.each([
    // npm token with its last checksum character changed, outside any npm label.
    `echo ${NPM.slice(0, -1)}${NPM.endsWith('A') ? 'B' : 'A'}`,
    // Grafana service-account token whose checksum does not match.
    `${GLSA.slice(0, -1)}${GLSA.endsWith('0') ? '1' : '0'}`,
    // sk- keys without the OpenAI marker, Anthropic keys that do not end in AA.
    `sk-${B.slice(0, 48)}`,
    `sk-ant-api03-${B}${B.slice(0, 20)}AB`,
    // 1Password: base64 that is not a JSON object.
    `ops_ey${B}${B}`,
    // Identifiers and words with vendor prefixes.
    'hf_hub_download_from_the_cached_repo',
    'sk_test_mode_enabled=true',
    'tskey-auth-...',
    'dapi_version=2',
    'glc_config_path=/etc/grafana',
    'lin_api_ratelimit_remaining',
    // Legacy Vault token form without a Vault label.
    's.Qw3Er5Ty7Ui9Op1As3Df5Gh7',
    '"private_key_id": "<your key id>"',
  ])('%s', (text) => {
    expect(kinds(text)).toEqual([]);
  });

  it('the labelled npm form also takes tokens without a checksum (legacy and granular forms)', () => {
    const bad = `${NPM.slice(0, -1)}${NPM.endsWith('A') ? 'B' : 'A'}`;
    expect(kinds(`//registry.npmjs.org/:_authToken=${bad}`)).toEqual(['NPM_TOKEN']);
    expect(kinds(`echo ${bad}`)).toEqual([]);
  });

  it('npm tokens use the GitHub checksum; Grafana its own little-endian CRC-32', () => {
    expect(githubChecksumValid(NPM)).toBe(true);
    expect(githubChecksumValid(`npm_${'a'.repeat(36)}`)).toBe(false);
    expect(grafanaChecksumValid(GLSA)).toBe(true);
    expect(grafanaChecksumValid(`glsa_${B.slice(0, 32)}_00000000`)).toBe(false);
    expect(grafanaChecksumValid('glsa_short')).toBe(false);
    expect(base64JsonObject(OPS.slice(4))).toBe(true);
    expect(base64JsonObject(Buffer.from('[1,2]').toString('base64'))).toBe(false);
    expect(base64JsonObject('not base64!')).toBe(false);
  });

  it('a token inside a URL password is the token, not a URL password', () => {
    expect(kinds(`https://ci:${NPM}@registry.example.com/`)).toEqual(['NPM_TOKEN']);
  });

  it('a GCP key file printed line by line: its key id and its private key', () => {
    const out = secretDetector.scan(
      [
        '{',
        '  "type": "service_account",',
        '  "project_id": "demo-project",',
        '  "private_key_id": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",',
        '  "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n",',
        '  "client_email": "deploy@demo-project.iam.gserviceaccount.com",',
        '}',
      ].map((text, i) => ({ n: i + 1, text, erased: [] })),
      {},
    );
    expect(out.map((d) => `${d.kind}@${d.line}`)).toEqual(['GCP_SERVICE_ACCOUNT_KEY@4', 'PRIVATE_KEY@5']);
  });
});

describe('credentials in a URL', () => {
  const urls = [
    ['postgres://app:S3cr3t@db:5432/x', 'S3cr3t'],
    ['https://user:Pa55word@host.example.com/x', 'Pa55word'],
    ['ftp://backup:Ftp5ecret@files.example.org/dump.sql', 'Ftp5ecret'],
    ['mongodb+srv://admin:M0ngoUrl@cluster0.example.net/prod', 'M0ngoUrl'],
  ] as const;

  it.each(urls)('%s: one PASSWORD secret, the password alone', (url, password) => {
    const found = findSecrets(`psql ${url}`);
    expect(found.map((m) => [m.ruleId, m.kind, m.value])).toEqual([
      ['secret-url-credentials', 'PASSWORD', password],
    ]);
  });

  it.each(urls)('%s: not an e-mail address', (url) => {
    expect(findLocalPii(`DATABASE_URL=${url}`).filter((m) => m.kind === 'EMAIL')).toEqual([]);
  });

  it('an address in a URL path or query is still an e-mail', () => {
    const found = findLocalPii('https://example.com/unsubscribe/jane.doe@example.org?x=1');
    expect(found.map((m) => [m.kind, m.value])).toEqual([['EMAIL', 'jane.doe@example.org']]);
    expect(findLocalPii('mailto:jane.doe@example.org').map((m) => m.kind)).toEqual(['EMAIL']);
  });

  it('the whole pipeline: a PASSWORD finding whose excerpt shows no character of the password, and no e-mail', async () => {
    const password = 'Zq9Pw7Xv';
    const chunk: TranscriptChunk = {
      sessionId: 'alice-0123456789abcdef0',
      origin: 'test',
      events: [
        {
          time: '2026-11-22T02:00:00Z',
          id: 'url-1',
          text: `[ssm-user@ip-10-0-1-23 ~]$ curl -s https://deploy:${password}@nexus.example.com/repo/app.tgz -o app.tgz`,
        },
      ],
      owner: {
        arn: 'arn:aws:sts::111122223333:assumed-role/Ops/alice',
        target: 'i-0abc',
        region: 'eu-west-1',
      },
    };
    const { findings } = await scanTranscript(
      chunk,
      { config: DEFAULT_CONFIG, pii: createLocalPiiScanner(DEFAULT_CONFIG) },
      [createCommandDetector(), secretDetector],
    );
    expect(findings.some((f) => f.ruleId === 'pii-email')).toBe(false);
    const secret = findings.find((f) => f.ruleId === 'secret-url-credentials');
    expect(secret?.evidence.map((e) => e.kind)).toEqual(['PASSWORD']);
    for (const e of secret!.evidence) {
      expect(e.excerpt).toBe(mask('PASSWORD', password));
      expect(e.excerpt).toMatch(/^\*+ \(\d+ chars\)$/);
    }
    expect(JSON.stringify(findings)).not.toContain(password);
  });
});

describe('masked excerpts of the new kinds', () => {
  it.each(cases.map(([text, kind], i) => ({ text, kind, i })))(
    '$kind example $i keeps no secret run',
    ({ text }) => {
      for (const m of findSecrets(text)) {
        const masked = mask(m.kind, m.value);
        expect(masked.includes(m.value)).toBe(false);
        // At most the vendor prefix (or 4 characters) and four trailing characters survive: no
        // 6-character run of the rest. A kept prefix names the kind and ends in its separator.
        const head = masked.indexOf('*');
        if (head > 4) expect(masked.slice(0, head)).toMatch(/^[a-z]{1,8}(?:[-_.][a-z]{0,8}\d{0,2})*[-_.]$/i);
        const middle = m.value.slice(Math.max(4, head), -4);
        for (let i = 0; i + 6 <= middle.length; i++) expect(masked).not.toContain(middle.slice(i, i + 6));
      }
    },
  );
});
