import {
  ARG,
  B64,
  type ContextStep,
  isPlaceholder,
  LABEL_SEP,
  type SecretBeside,
  type SecretContext,
  type SecretPattern,
  sameCommand,
  toolFlag,
} from '../detect/secret-patterns';
import { secretDetector } from '../detect/secrets';
import { charClasses, githubChecksumValid, jwtHeaderValid } from '../detect/validators';
import type { CatalogueRule, RuleFamily } from './types';

/** Evidence kinds of category `secret` (docs/CONTRACT.md, Finding). */
export const SECRET_KINDS = [
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'AWS_SESSION_TOKEN',
  'PRIVATE_KEY',
  'GITHUB_TOKEN',
  'GITLAB_TOKEN',
  'SLACK_TOKEN',
  'SLACK_WEBHOOK',
  'JWT',
  'PASSWORD',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/**
 * A secret rule: metadata, its matcher and examples. The engine (shared/detect/secrets.ts) runs the
 * patterns of every rule on each text, drops values `valid` refuses, adds what `beside` finds, and
 * carries `context` from line to line.
 */
export interface SecretRule extends CatalogueRule<string> {
  kind: SecretKind;
  /** Tried in order; SECRET_RULES order, then this order, is the priority when two matches overlap. */
  patterns: readonly SecretPattern[];
  /** Every value of the rule must pass this too. */
  valid?: (value: string) => boolean;
  beside?: SecretBeside;
  context?: SecretContext;
  /** Single transcript lines: every `match` line fires this rule, no `noMatch` line does. */
  examples: { match: readonly string[]; noMatch: readonly string[] };
}

const ATTACK = 'https://attack.mitre.org/techniques';
const ROTATE = 'Treat the value as compromised: rotate or revoke it now, whatever the session was for.';
const WHO = 'Identify who opened the session (principal, source IP) and why the value was displayed.';
const CLEAN = 'Find where the value is stored in clear text on the instance and move it to a secret store.';

const MONGO = '\\bmongo(?:sh|dump|restore|export|import)?\\b';
const LDAP = '\\bldap[a-z]+\\b';
const LOGIN = '\\b(?:az|docker|podman|helm\\s+registry)\\s+login\\b';

const notPlaceholder = (v: string): boolean => !isPlaceholder(v);

/** Mixed case and a digit or symbol, and not hex: a secret access key, not a commit hash. */
function awsSecretShape(v: string): boolean {
  const c = charClasses(v);
  return c.upper && c.lower && (c.digit || c.other) && !/^[0-9a-fA-F]+$/.test(v);
}

/** Sticky: tried right after each key id, without copying the rest of the line. */
const AFTER_KEY_ID = new RegExp(`[\\s,;:|"'=]{1,6}(?<v>[${B64}]{40})(?![${B64}=])`, 'dy');

/** A 40-character secret right after an access key id on the same line (credentials CSV, tables). */
const secretAfterKeyId: SecretBeside = (text, matches, add) => {
  for (const m of matches) {
    if (m.kind !== 'AWS_ACCESS_KEY') continue;
    AFTER_KEY_ID.lastIndex = m.end;
    const g = AFTER_KEY_ID.exec(text)?.indices?.groups?.v;
    if (g && awsSecretShape(text.slice(g[0], g[1]))) add(g[0], g[1]);
  }
};

const WHOLE_LINE_SECRET = new RegExp(`^\\s*["']?([${B64}]{40})["']?\\s*(?:,\\s*)?$`);

/** A lone 40-character secret at most two lines after a line with an access key id and no secret. */
const KEY_ID_ABOVE: SecretContext = {
  memo: 'keyIdLine',
  holds: (memo) => typeof memo === 'number',
  step(line, matches, memo): ContextStep {
    if (matches.some((m) => m.kind === 'AWS_ACCESS_KEY'))
      return { memo: matches.some((m) => m.kind === 'AWS_SECRET_KEY') ? undefined : line.n };
    if (typeof memo !== 'number' || line.n - memo > 2) return { memo: undefined };
    const lone = WHOLE_LINE_SECRET.exec(line.text)?.[1];
    if (lone && awsSecretShape(lone)) return { memo: undefined, value: lone };
    return { memo };
  },
};

const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_BODY = /^[A-Za-z0-9+/=]{16,}$/;
const PEM_HEADER = /^(?:Proc-Type|DEK-Info|Comment|Version|Hash|Charset): /;

interface PemMemo {
  bodyReported?: boolean;
}

/**
 * Inside a PEM block opened by a BEGIN marker: the first body line is reported (once per block, not
 * every line); the END marker, or any other output (a prompt, an error: the block was cut short),
 * closes it.
 */
const PEM_BLOCK: SecretContext = {
  memo: 'pem',
  holds: (memo) => typeof memo === 'object' && memo !== null,
  step(line, matches, memo): ContextStep {
    const marker = matches.find((m) => m.kind === 'PRIVATE_KEY' && m.value.startsWith('-----BEGIN'));
    if (marker)
      return { memo: PEM_END.test(line.text.slice(marker.end)) ? undefined : { bodyReported: false } };
    if (typeof memo !== 'object' || memo === null) return { memo: undefined };
    const pem = memo as PemMemo;
    const body = line.text.trim();
    if (PEM_END.test(body)) return { memo: undefined };
    if (PEM_BODY.test(body)) {
      const value = pem.bodyReported ? undefined : body;
      pem.bodyReported = true;
      return value === undefined ? { memo: pem } : { memo: pem, value };
    }
    if (body !== '' && !PEM_HEADER.test(body)) return { memo: undefined };
    return { memo: pem };
  },
};

/**
 * Secret detection rules: metadata, matcher and examples. The order is the priority when two matches
 * overlap: specific token shapes before generic password forms.
 * Severity reflects what the value gives on its own: usable credentials CRITICAL, credentials that
 * need a second part or grant narrower access HIGH, hashes and post-only webhooks MEDIUM.
 */
export const SECRET_RULES: readonly SecretRule[] = [
  {
    id: 'secret-private-key',
    category: 'secret',
    kind: 'PRIVATE_KEY',
    severity: 'CRITICAL',
    title: 'Private key shown in a session',
    description:
      'A PEM/OpenSSH private key block (BEGIN marker or key body) appeared. Whoever saw the log can impersonate ' +
      'the host or user the key belongs to, with no expiry.',
    playbook: [
      'Find what the key is for (SSH host/user key, TLS certificate, signing key) from the file name in the session.',
      'Replace the key pair and remove the public half from every authorized_keys / trust store.',
      WHO,
      CLEAN,
    ],
    references: [`${ATTACK}/T1552/004/`],
    patterns: [
      {
        hint: ['-----begin'],
        re: /-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 |DH )?PRIVATE KEY(?: BLOCK)?-----/dg,
      },
      {
        // Key bodies without their marker: DER prefixes of RSA, PKCS#8, SEC1 EC and OpenSSH private keys.
        hint: ['mii', 'mhccaqeei', 'migkagebbd', 'mighageambmgbyqgsm49', 'mc4caqaw', 'b3blbnnzac1rzxktdjea'],
        re: new RegExp(
          `(?<![${B64}])(?<v>(?:MII[${B64}]{3}IBAAK|MII[${B64}]{3}IBADANBgkqhkiG9w0BAQ|MHcCAQEEI|MIGkAgEBBD|MIGHAgEAMBMGByqGSM49|MC4CAQAwBQYDK2VwBCIEI|b3BlbnNzaC1rZXktdjEA)[${B64}]{20,}={0,2})`,
          'dg',
        ),
      },
    ],
    context: PEM_BLOCK,
    examples: {
      match: [
        '-----BEGIN RSA PRIVATE KEY-----',
        '-----BEGIN OPENSSH PRIVATE KEY-----',
        '-----BEGIN ENCRYPTED PRIVATE KEY-----',
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
        'MIIEowIBAAKCAQEA2R1E9sA/VTNrqIxHbo1WgbxhnsDOAHE6510vXQm1BM7gjgEF',
      ],
      noMatch: [
        '-----BEGIN PUBLIC KEY-----',
        '-----BEGIN CERTIFICATE-----',
        'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo',
        'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDcdX6jYL6M9PjvPSf64rt+wYu1 user@host',
      ],
    },
  },
  {
    id: 'secret-github-token',
    category: 'secret',
    kind: 'GITHUB_TOKEN',
    severity: 'HIGH',
    title: 'GitHub token shown in a session',
    description:
      'A GitHub token (ghp_/gho_/ghu_/ghs_/ghr_ with a valid CRC-32 checksum, or a fine-grained github_pat_) ' +
      'appeared. It grants repository and organisation access until revoked.',
    playbook: [
      'Revoke the token (owner settings, or the organisation credential-revocation API).',
      'Review the audit log for clones, pushes and workflow runs with the token.',
      WHO,
    ],
    references: [
      `${ATTACK}/T1552/001/`,
      'https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/',
    ],
    patterns: [
      {
        hint: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
        re: /(?<![A-Za-z0-9_])(?<v>gh[pousr]_[A-Za-z0-9]{36})(?![A-Za-z0-9])/dg,
        valid: githubChecksumValid,
      },
      {
        hint: ['github_pat_'],
        re: /(?<![A-Za-z0-9_])(?<v>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])/dg,
      },
    ],
    examples: {
      match: [
        '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',
        'git remote set-url origin https://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@github.com/acme/app.git',
        'GITHUB_TOKEN=github_pat_11ABCDEFG0abcdefghijkl_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456',
      ],
      noMatch: [
        'ghp_Xk3P9qLm2Vb7Rt5Yw8Zn4Hc6Jd1Fg00594xL',
        'ghp_short',
        'ghx_Xk3P9qLm2Vb7Rt5Yw8Zn4Hc6Jd1Fg00594xK',
      ],
    },
  },
  {
    id: 'secret-gitlab-token',
    category: 'secret',
    kind: 'GITLAB_TOKEN',
    severity: 'HIGH',
    title: 'GitLab token shown in a session',
    description:
      'A GitLab personal, deploy, runner or trigger token (glpat-, gldt-, glrt-, glptt-…) appeared. It grants API ' +
      'or repository access until revoked.',
    playbook: [
      'Revoke the token in GitLab (user, project or group settings).',
      'Review the audit events.',
      WHO,
    ],
    references: [`${ATTACK}/T1552/001/`],
    patterns: [
      {
        hint: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'glsoat-', 'glcbt-', 'gloas-', 'glimt-'],
        re: /(?<![A-Za-z0-9_-])(?<v>gl(?:pat|dt|rt|ptt|ft|soat|cbt|oas|imt)-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?![A-Za-z0-9_-])/dg,
        valid: (v) => {
          const body = v.slice(v.indexOf('-') + 1);
          const c = charClasses(body);
          return !/^(.)\1+$/.test(body) && [c.upper, c.lower, c.digit].filter(Boolean).length >= 2;
        },
      },
    ],
    examples: {
      match: ['export GITLAB_TOKEN=glpat-Ab3dE5gH7jK9mN1pQ3sT', 'glrt-t1_Zq8xW2vC4bN6mL0kJ9hG7fD5s'],
      noMatch: ['glpat-xxxxxxxxxxxxxxxxxxxx', 'glpat-short', 'xglpat-Ab3dE5gH7jK9mN1pQ3sT'],
    },
  },
  {
    id: 'secret-slack-webhook',
    category: 'secret',
    kind: 'SLACK_WEBHOOK',
    severity: 'MEDIUM',
    title: 'Slack incoming-webhook URL shown in a session',
    description:
      'A Slack incoming-webhook URL appeared. It only posts messages, but anyone holding it can post as the ' +
      'integration into that channel (phishing, alert spoofing).',
    playbook: ['Regenerate the webhook URL in the Slack app settings.', WHO],
    references: [`${ATTACK}/T1552/`],
    patterns: [
      {
        hint: ['hooks.slack.com'],
        re: /https:\/\/hooks\.slack\.com\/(?:services\/T[A-Z0-9]{6,12}\/B[A-Z0-9]{6,12}\/[A-Za-z0-9]{20,32}|workflows\/T[A-Z0-9]{6,12}\/A[A-Z0-9]{6,12}\/\d{6,20}\/[A-Za-z0-9]{20,40}|triggers\/T[A-Z0-9]{6,12}\/\d{6,20}\/[a-f0-9]{20,40})/dg,
      },
    ],
    examples: {
      match: [
        'curl -X POST https://hooks.slack.com/services/T0A1B2C3D/B0E1F2G3H/AbCdEfGhIjKlMnOpQrStUvWx -d @msg.json',
      ],
      noMatch: ['https://hooks.slack.com/services/', 'https://api.slack.com/messaging/webhooks'],
    },
  },
  {
    id: 'secret-slack-token',
    category: 'secret',
    kind: 'SLACK_TOKEN',
    severity: 'HIGH',
    title: 'Slack token shown in a session',
    description:
      'A Slack bot, user or app token (xoxb-, xoxp-, xapp-…) appeared. It can read and post in the workspace ' +
      'with the scopes of the app.',
    playbook: [
      'Revoke the token (auth.revoke, or reinstall the app).',
      'Review the workspace access logs.',
      WHO,
    ],
    references: [`${ATTACK}/T1552/001/`],
    patterns: [
      {
        hint: ['xox', 'xapp-'],
        re: /(?<![A-Za-z0-9])(?<v>xox[abposr]-(?:\d{6,}-){1,3}[A-Za-z0-9]{16,}|xapp-\d-[A-Z0-9]{8,14}-\d{8,16}-[a-f0-9]{32,}|xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{60,})(?![A-Za-z0-9])/dg,
      },
    ],
    examples: {
      match: [
        'SLACK_BOT_TOKEN=xoxb-2048123456-3072123456789-AbCdEfGhIjKlMnOpQrStUvWx',
        'xapp-1-A0123ABCDEF-4096123456789-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      ],
      noMatch: ['xoxb-your-token-here', 'xoxb-', 'see https://api.slack.com/authentication/token-types#bot'],
    },
  },
  {
    id: 'secret-jwt',
    category: 'secret',
    kind: 'JWT',
    severity: 'HIGH',
    title: 'JSON Web Token shown in a session',
    description:
      'A JWT (three base64url parts whose header is JSON with "alg") appeared. It is a bearer credential: ' +
      'anyone who copies it can call the API it is for until it expires.',
    playbook: [
      'Decode the payload offline (never paste it into a website) to learn issuer, audience and expiry.',
      'Revoke the session or rotate the signing key if the token is long-lived.',
      WHO,
    ],
    references: [`${ATTACK}/T1552/`],
    patterns: [
      {
        hint: ['eyj'],
        re: /(?<![A-Za-z0-9_.-])(?<v>eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)(?![A-Za-z0-9_-])/dg,
        valid: (v) => jwtHeaderValid(v.slice(0, v.indexOf('.'))),
      },
    ],
    examples: {
      match: [
        'INTERNAL_API_TOKEN=eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJkZXBsb3kiLCJpYXQiOjE3MDAwMDAwMDB9.kFuvxm4ml6O2Mbwp-eqXJ4NzjCLwL9kg_1nXTyutj4c',
        "curl -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImsxIn0.eyJzdWIiOiJkZXBsb3kiLCJpYXQiOjE3MDAwMDAwMDB9.kFuvxm4ml6O2Mbwp-eqXJ4NzjCLwL9kg_1nXTyutj4c' https://api",
      ],
      noMatch: [
        'eyJmb28iOiJiYXIifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl',
        'version 1.2.3',
        'eyJhbGciOiJ.x',
      ],
    },
  },
  {
    id: 'secret-aws-session-token',
    category: 'secret',
    kind: 'AWS_SESSION_TOKEN',
    severity: 'CRITICAL',
    title: 'AWS session token shown in a session',
    description:
      'An AWS STS session token (IMDS "Token", SessionToken, aws_session_token) appeared. Together with the ' +
      'temporary key it works from anywhere until it expires; instance-role tokens are the classic theft target.',
    playbook: [
      'Revoke active sessions of the role (IAM console: "Revoke active sessions") if the token may have left.',
      'Search CloudTrail for the matching ASIA key id used from outside the instance.',
      WHO,
      'Enforce IMDSv2 with a hop limit of 1 on the instance.',
    ],
    references: [
      `${ATTACK}/T1552/005/`,
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_revoke-sessions.html',
    ],
    patterns: [
      {
        hint: ['token'],
        re: new RegExp(
          `(?:session_?token|security_?token|"token")["']?${LABEL_SEP}["']?(?<v>[${B64}]{100,}={0,2})(?![${B64}])`,
          'dgi',
        ),
      },
      {
        // STS tokens carry a recognisable protobuf header ("…origin_ec", "FwoGZXIvYXdz") even without a label.
        hint: ['b3jpz2lux2', 'zxivyxdz'],
        re: new RegExp(
          `(?<![${B64}])(?<v>(?:[${B64}]{4}b3JpZ2luX2|FwoGZXIvYXdz|FQoGZXIvYXdz)[${B64}]{80,}={0,2})(?![${B64}])`,
          'dg',
        ),
      },
    ],
    examples: {
      match: [
        '  "Token" : "IQoJb3JpZ2luX2VjEj/MjlBfJtiIUKWPLxRNGOM8P1iydB9cs0+8Cu/ZbHI1d8ymsXgXAWAtODUazpRItEt/4rECs4dhWhWQZpjpKRNsvQ3qQRbsGX3l3XvHp4HgFr+MuIhIqx3+nPJOfnfvshNGeM+hnuZU8umdUZRXXlvJxFr1JrSLa",',
        'export AWS_SESSION_TOKEN=StAi1hyHRAsKxy4a5PQkjIhJNf3HwJ0M6yTqte2h9YYIVvsz9v/HaI0tM6mbOQkcNTBTL4JKAK48TU4PL1z17IQZkjSDYh8CE9Bb2xQzXhiU9cVlNk4R7Q1w1dYkiLxReSWZxYWFjjtBehId0xQlKHMOjWO1vE4J',
        'IQoJb3JpZ2luX2VjEj/MjlBfJtiIUKWPLxRNGOM8P1iydB9cs0+8Cu/ZbHI1d8ymsXgXAWAtODUazpRItEt/4rECs4dhWhWQZpjpKRNsvQ3qQRbsGX3l3XvHp4HgFr',
      ],
      noMatch: [
        '  "Token" : "short-token-value",',
        'StAi1hyHRAsKxy4a5PQkjIhJNf3HwJ0M6yTqte2h9YYIVvsz9v/HaI0tM6mbOQkcNTBTL4JKAK48TU4PL1z17IQZkjSDYh8CE9Bb2xQzXhiU9cVlNk4R7Q1w1dYkiLxReSWZ',
      ],
    },
  },
  {
    id: 'secret-aws-secret-key',
    category: 'secret',
    kind: 'AWS_SECRET_KEY',
    severity: 'CRITICAL',
    title: 'AWS secret access key shown in a session',
    description:
      'A 40-character AWS secret access key appeared in a credentials context (credentials file, environment, ' +
      'IMDS or STS output, or right after an access key id). With its key id it signs any API call the key allows.',
    playbook: [
      'Deactivate the access key (IAM) or revoke the role session (for instance-role keys, revoke older sessions).',
      'Search CloudTrail for calls made with the key id from unexpected IPs since the session started.',
      ROTATE,
      WHO,
      CLEAN,
    ],
    references: [
      `${ATTACK}/T1552/001/`,
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html',
    ],
    patterns: [
      {
        hint: ['secret'],
        re: new RegExp(
          `(?:secret_?access_?key|aws_?secret(?:_?key)?|secret_?key)["']?${LABEL_SEP}["']?(?<v>[${B64}]{40})(?![${B64}=])`,
          'dgi',
        ),
        valid: awsSecretShape,
      },
    ],
    beside: secretAfterKeyId,
    context: KEY_ID_ABOVE,
    examples: {
      match: [
        'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        '  "SecretAccessKey" : "DrahjI44NCQ6jBBuQ94JK1W+3yeda5f7O1C12Wnd",',
        'aws configure set aws_secret_access_key 3YdhtfGbHgXMI1TEE4i/KgDt0b46n+ChwD0F0ihx',
        'AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      ],
      noMatch: [
        'commit 19a35062af84ef9dbc91f88cf2c739522b4b7329',
        'AWS_SECRET_ACCESS_KEY=19a35062af84ef9dbc91f88cf2c739522b4b7329',
        'checksum: 3YdhtfGbHgXMI1TEE4i/KgDt0b46n+ChwD0F0ihx',
        'aws_secret_access_key = ****************EKEY',
      ],
    },
  },
  {
    id: 'secret-aws-access-key',
    category: 'secret',
    kind: 'AWS_ACCESS_KEY',
    severity: 'HIGH',
    title: 'AWS access key id shown in a session',
    description:
      'An AWS access key id (AKIA long-term, ASIA temporary, ABIA/ACCA service keys) appeared in the session log. ' +
      'HIGH, not CRITICAL: the id alone cannot sign requests, but it is almost always shown next to its secret. ' +
      'Identifiers such as AIDA/AROA (users, roles) are not credentials and are not reported.',
    playbook: [
      'Look up the key id in IAM (or CloudTrail for ASIA keys) to find its owner.',
      'Check the same session for the matching secret access key finding.',
      ROTATE,
      WHO,
    ],
    references: [
      `${ATTACK}/T1552/001/`,
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids',
    ],
    patterns: [
      {
        hint: ['akia', 'asia', 'abia', 'acca'],
        re: /(?<![A-Za-z0-9])(?<v>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])/dg,
      },
    ],
    examples: {
      match: [
        'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
        '  "AccessKeyId" : "ASIA5EWRXF3KMMPQ4KHR",',
        'aws_access_key_id = AKIA3BILSUPZXF3NVVPJ',
      ],
      noMatch: [
        '    "UserId": "AIDAMYVST6FJ56CT5EUM4",',
        'AKIAIOSFODNN7EXAMPLE1',
        'xAKIAIOSFODNN7EXAMPLE',
        'AKIA0OSFODNN1EXAMPLE',
      ],
    },
  },
  {
    id: 'secret-password-hash',
    category: 'secret',
    kind: 'PASSWORD',
    severity: 'MEDIUM',
    title: 'Password hash shown in a session',
    description:
      'A crypt(3) password hash ($1$, $5$, $6$, $2b$, $y$ yescrypt…) appeared, typically from /etc/shadow. ' +
      'MEDIUM: it must be cracked offline first, which is slow for modern schemes but fast for weak passwords.',
    playbook: ['Change the password of the account.', 'Check why /etc/shadow was readable or printed.', WHO],
    references: [`${ATTACK}/T1003/008/`],
    patterns: [
      {
        hint: ['$1$', '$5$', '$6$', '$2', '$y$', '$gy$', '$7$'],
        re: /(?<![A-Za-z0-9$])(?<v>\$(?:1|5|6)\$(?:rounds=\d+\$)?[./0-9A-Za-z]{1,16}\$(?:[./0-9A-Za-z]{86}|[./0-9A-Za-z]{43}|[./0-9A-Za-z]{22})|\$2[abxy]?\$\d\d\$[./0-9A-Za-z]{53}|\$(?:y|gy|7)\$[./0-9A-Za-z]+\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{43})(?![./0-9A-Za-z])/dg,
      },
    ],
    examples: {
      match: [
        'root:$6$l.yPo5oWxiVf.DU6$LR4/JLy80LTT9OkCFF3Y587ysUEYtzKksEv9gS4Gkn7Y6s6uIIA09AKc3/n7VhZr/XH26uxBirSx1WdKCLHRXV:20140:0:99999:7:::',
        'deploy:$y$j9T$QG54Utk8kVkQd52IkeB74m$lv0ElO7ZXIN3y3Z5TLS5sUTzdqY0kNCxLIRZDrcX6uw:20100:0:99999:7:::',
        'admin:$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
        'user:$1$saltsalt$qjXMvbEw8oaL.CzflDugX/:19000:0:99999:7:::',
      ],
      noMatch: ['bin:*:19900:0:99999:7:::', 'ssm-user:!!:20137:0:99999:7:::', 'price: $6$ per unit'],
    },
  },
  {
    id: 'secret-password-cli',
    category: 'secret',
    kind: 'PASSWORD',
    severity: 'HIGH',
    title: 'Password typed on a command line',
    description:
      'A password was passed as a command argument (mysql -p, --password=, sshpass -p, user:pass@ URL, ' +
      'net user … /add, curl -u, redis-cli -a, mongo -p, ldapsearch -w, docker login -p, htpasswd -b, ' +
      'smbclient -U user%pw, echo pw | sudo -S, .netrc lines). It is now in the session log and usually in shell ' +
      'history and ps output.',
    playbook: [
      'Change the password of the account it belongs to.',
      WHO,
      'Teach the tool to read it from a prompt, file or secret store.',
    ],
    references: [`${ATTACK}/T1552/003/`],
    valid: notPlaceholder,
    patterns: [
      {
        hint: ['mysql', 'mariadb'],
        re: toolFlag(
          '\\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mysqlsh|mariadb(?:-dump|-admin)?)\\b',
          `\\s-p(?:${ARG})`,
          'dg',
        ),
      },
      { hint: ['sshpass'], re: toolFlag('\\bsshpass\\b', `\\s-p\\s*(?:${ARG})`, 'dg') },
      { hint: ['redis-cli'], re: toolFlag('\\bredis-cli\\b', `\\s(?:-a|--pass)\\s+(?:${ARG})`, 'dg') },
      {
        hint: ['sqlcmd', 'bcp', 'osql', 'isql'],
        re: toolFlag('\\b(?:sqlcmd|bcp|osql|isql)(?:\\.exe)?\\b', `\\s-P\\s*(?:${ARG})`, 'dgi'),
      },
      {
        hint: ['curl', 'wget'],
        re: toolFlag('\\b(?:curl|wget)\\b', `\\s(?:-u|--user)[\\s=]*['"]?[^\\s:'"]+:(?<v>[^\\s'"@]+)`, 'dg'),
      },
      {
        // The flag always holds a password word: `--` alone is on most prompt and option lines.
        hint: ['pass', 'pwd'],
        re: new RegExp(
          `(?<=\\s|^)--(?:db-|http-|proxy-|ftp-|admin-|user-|root-|master-|new-|login-)?(?:password|passwd|pass|pwd)(?:=|\\s+(?!-))(?:${ARG})`,
          'dgi',
        ),
      },
      { hint: ['pass:'], re: /-pass(?:in|out)?\s+pass:(?<v>\S+)/dg },
      {
        hint: ['net'],
        re: /\bnet(?:\.exe)?\s+user\s+(?:"[^"]+"|[^\s/"]+)\s+(?:"(?<q2>[^"]+)"|(?<v>[^\s*/"][^\s"]*))(?=\s|$)/dgi,
      },
      {
        hint: ['://'],
        re: /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@'"]{0,256}:(?<v>[^\s@/'"]+)@[A-Za-z0-9[]/dgi,
      },
      {
        hint: ['chpasswd'],
        re: /\becho\s+['"]?[a-z_][a-z0-9_.-]*:(?<v>[^\s'"]+)['"]?\s*\|\s*(?:sudo\s+)?chpasswd\b/dgi,
      },
      {
        // Tools whose password flag takes a separate argument: mongo -p, ldapsearch -w, az/docker login -p.
        hint: ['mongo', 'ldap', 'login'],
        re: new RegExp(
          `(?:${MONGO}${sameCommand(MONGO)}\\s-p|${LDAP}${sameCommand(LDAP)}\\s-w|${LOGIN}${sameCommand(LOGIN)}\\s-p)\\s+(?!-)(?:${ARG})`,
          'dg',
        ),
      },
      {
        hint: ['htpasswd'],
        // The flag holding `b` is found by lookahead, not by backtracking over it (`-bbbb…` was quadratic).
        re: new RegExp(
          `\\bhtpasswd\\s+(?:-[a-zA-Z]+\\s+)*-(?=[a-zA-Z]*b)[a-zA-Z]+\\s+\\S+\\s+\\S+\\s+(?:${ARG})`,
          'dg',
        ),
      },
      {
        hint: ['smbclient', 'rpc', 'winexe', 'mount.cifs'],
        re: toolFlag(
          '\\b(?:smbclient|rpcclient|net\\s+rpc|winexe|mount\\.cifs)\\b',
          `\\s-U\\s*['"]?[^\\s%'"]+%(?<v>[^\\s'"]+)`,
          'dg',
        ),
      },
      {
        // `echo pw | sudo -S …` feeds sudo its password on stdin.
        hint: ['sudo'],
        re: /\becho\s+(?:-n\s+)?(?:'(?<q1>[^']+)'|"(?<q2>[^"]+)"|(?<v>[^\s'"|]+))\s*\|\s*sudo\s+(?:-\w+\s+)*-S\b/dg,
      },
      { hint: ['machine'], re: /\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?<v>\S+)/dg },
      {
        hint: ['convertto-securestring'],
        re: /ConvertTo-SecureString\s+(?:-String\s+)?(?:'(?<q1>[^']+)'|"(?<q2>[^"]+)")\s+-AsPlainText/dgi,
      },
    ],
    examples: {
      match: [
        "mysql -u billing_admin -p'Summer2024!x' -h prod-db.internal billing",
        'mysqldump -uroot -pS3cretPass db > dump.sql',
        'sshpass -p Tr0ub4dor ssh admin@10.0.0.5',
        'psql postgresql://app:Hunter2Secret@db.internal:5432/app',
        'PS C:\\Users\\ssm-user> net user backdoor P@ssw0rd /add',
        'wget --password=Pa55word https://files.internal/x.tgz',
        'curl -u deploy:Sup3rSecret https://nexus.internal/repo',
        'redis-cli -h cache.internal -a r3disPass ping',
        'mongosh -u admin -p M0ngoPass --host db.internal',
        'ldapsearch -x -D cn=admin,dc=corp -w Ld4pSecret -b dc=corp',
        'docker login -u ci -p Dock3rPass registry.internal',
        'htpasswd -bc /etc/nginx/.htpasswd admin Htp4ssword',
        'smbclient //fs/share -U alice%Smb5ecret',
        "echo 'Sud0Pass!' | sudo -S systemctl restart app",
        'machine api.internal login deploy password N3trcPass',
        'redis-cli -u redis://:R3disUrlPass@cache.internal:6379',
      ],
      noMatch: [
        'mkdir -p /var/log/app',
        'ssh -p 22 admin@10.0.0.5',
        'mysql -u root -p',
        'net user backdoor /add',
        'docker login --password-stdin',
        'git clone https://github.com/acme/app.git',
        'psql postgresql://app:$DB_PASSWORD@db.internal/app',
        'mongosh -u admin -p --host db.internal',
        'echo hello | sudo tee /etc/motd',
      ],
    },
  },
  {
    id: 'secret-password-assignment',
    category: 'secret',
    kind: 'PASSWORD',
    severity: 'HIGH',
    title: 'Password shown in configuration or environment output',
    description:
      'A password value was printed from an environment, configuration or JSON file (DB_PASSWORD=, ' +
      'PGPASSWORD=, "password": …). Anyone reading the log can use it.',
    playbook: ['Change the password.', WHO, CLEAN],
    references: [`${ATTACK}/T1552/001/`],
    valid: notPlaceholder,
    patterns: [
      {
        // KEY=value / KEY = value (env, ini, shell, PowerShell $env:KEY), key ending in a password word.
        // The key starts at the start of its run only, so long dotted/dashed runs cost linear time.
        hint: ['pass', 'pwd'],
        re: new RegExp(
          `(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,64}(?:password|passwd|passphrase|_pwd|_pass)\\s*=\\s*(?:${ARG})`,
          'dgi',
        ),
      },
      {
        hint: ['pass', 'pwd'],
        re: /"[A-Za-z0-9_.-]{0,64}(?:password|passwd|passphrase|_pwd|_pass)"\s*:\s*"(?<v>[^"]+)"/dgi,
      },
      {
        // YAML `password: value` only as a whole line, so prose ("password: must be…") stays quiet.
        hint: ['pass', 'pwd'],
        re: /^\s*(?:-\s*)?[A-Za-z0-9_.-]{0,64}(?:password|passwd|passphrase|_pwd|_pass)\s*:\s*(?:'(?<q1>[^']+)'|"(?<q2>[^"]+)"|(?<v>\S+))\s*$/dgi,
      },
    ],
    examples: {
      match: [
        'DB_PASSWORD=4uvfLDmF9b#xrawb',
        'db_admin_password=iXsXRm1KoWoBp8YQ',
        'PGPASSWORD=pgS3cret psql -h db.internal -U app',
        '  "password": "correct-horse-battery",',
        'password = Xy7!kP2q',
        '$env:SQL_PASSWORD = "Pl@inText99"',
      ],
      noMatch: [
        'password_min_length=12',
        'DB_PASSWORD_FILE=/run/secrets/db',
        'PASSWORD=%DB_PASSWORD%',
        '[sudo] password for ssm-user:',
        'DB_PASSWORD=********',
        'PWD=/home/ssm-user',
        'Enter password: ',
      ],
    },
  },
];

/** Runs the real detector on one line and says whether `rule` reported it. */
export const SECRET_FAMILY: RuleFamily<SecretRule, string> = {
  name: 'secret',
  rules: SECRET_RULES,
  fires: (rule, line) =>
    secretDetector.scan([{ n: 1, text: line, erased: [] }], {}).some((d) => d.ruleId === rule.id),
};
