import type { Config } from '../model/config';
import { DEFAULT_CONFIG } from '../model/config';
import type { Severity } from '../model/finding';
import type { RuleMeta } from './types';

/**
 * Personal-data rules, one per entity type. Types are Amazon Comprehend's `DetectPiiEntities`
 * names, so the offline detector and Comprehend report the same kind. `local` rules are also found
 * offline (`shared/detect/pii-local.ts`) and carry examples; the others need Comprehend.
 */
export interface PiiRule extends RuleMeta {
  kind: string;
  local: boolean;
  examples?: { match: string[]; noMatch: string[] };
}

/** Config keys that name a type differently from Comprehend (DESIGN.md uses `IBAN`). */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  IBAN: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
  INTERNATIONAL_BANK_ACCOUNT_NUMBER: 'IBAN',
};

const STOP = 'Find where the data came from (file, table, API) and who ran the command that printed it.';
const LOGS =
  'Session logs are now a copy of the data: restrict who can read the log group/bucket and shorten retention ' +
  'if the data may not be kept there.';
const POLICY = 'Check whether the user needed to see raw records; prefer masked views or aggregate queries.';

const playbook = [STOP, LOGS, POLICY];

function rule(
  kind: string,
  id: string,
  title: string,
  description: string,
  local: boolean,
  examples?: PiiRule['examples'],
): PiiRule {
  return {
    id,
    category: 'pii',
    kind,
    severity:
      DEFAULT_CONFIG.pii.typeSeverity[kind] ??
      DEFAULT_CONFIG.pii.typeSeverity[TYPE_ALIASES[kind] ?? ''] ??
      DEFAULT_CONFIG.pii.defaultSeverity,
    title,
    description,
    playbook,
    local,
    ...(examples ? { examples } : {}),
  };
}

export const PII_RULES: readonly PiiRule[] = [
  rule(
    'SSN',
    'pii-ssn',
    'US Social Security number shown in a session',
    'A US SSN appeared: a valid ddd-dd-dddd number, or any SSN-shaped value next to an SSN label ' +
      '(same line, or the ssn column of a CSV/table header seen earlier in the session).',
    true,
    {
      match: ['SSN: 219-09-9999', 'employee 536-22-8745 onboarded', "{'name': 'X', 'ssn': '900-12-3456'}"],
      noMatch: ['build 900-12-3456 finished', 'order 536-00-8745', '2026-11-22 10:00', 'id 000-12-3456'],
    },
  ),
  rule(
    'CREDIT_DEBIT_NUMBER',
    'pii-credit-debit-number',
    'Payment card number shown in a session',
    'A payment card number (13–19 digits, issuer range and length of Visa, Mastercard, Amex, Discover, ' +
      'JCB, Diners, UnionPay or Mir, valid Luhn check digit) appeared.',
    true,
    {
      match: [
        'card 4111 1111 1111 1111 exp 12/29',
        '10001,A,4012888888881881,x',
        'pan=3782-822463-10005',
        '2223-0031-2200-3222',
      ],
      noMatch: ['4111111111111112', '1234567890123456', 'timestamp 1767225600000', '9999 9999 9999 9995'],
    },
  ),
  rule(
    'EMAIL',
    'pii-email',
    'E-mail address shown in a session',
    'An e-mail address of a person or customer appeared (hostnames such as user@ip-10-0-1-23.ec2.internal ' +
      'and image names such as logo@2x.png are not reported).',
    true,
    {
      match: ['contact: patricia.brown21@example.org', "'email': 'emily.rodriguez@example.com'"],
      noMatch: [
        '[ssm-user@ip-10-0-1-23 ~]$ ls',
        'ssh ec2-user@ip-10-0-1-23.ec2.internal',
        'icon@2x.png',
        'npm i lodash@4.17.21',
      ],
    },
  ),
  rule(
    'PHONE',
    'pii-phone',
    'Phone number shown in a session',
    'A phone number appeared: North American formats ((NPA) NXX-NNNN, NPA-NXX-NNNN, +1 …) or international ' +
      'E.164 numbers with a known country code.',
    true,
    {
      match: [
        '(919) 555-0179',
        'call 919-555-0179 now',
        "'phone': '+1-617-555-0110'",
        'tel +44 20 7946 0958',
        'phone: 9195550179',
      ],
      noMatch: [
        '2026-11-22 02:00:46',
        '10.0.1.203 - - [21/Nov/2026:23:44:27 +0000]',
        '    4492   3232   2884 S   0.0   0.0   0:00.00 systemd',
        'Mem:           24105         295       23868',
        'version 10.0.20348.2652',
        'id 9195550179',
      ],
    },
  ),
  rule(
    'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
    'pii-iban',
    'IBAN shown in a session',
    'An international bank account number appeared (registered country length and mod-97 check digits).',
    true,
    {
      match: [
        'IBAN DE89 3704 0044 0532 0130 00',
        'iban=GB82WEST12345698765432',
        'FR1420041010050500013M02606',
      ],
      noMatch: ['DE89 3704 0044 0532 0130 01', 'GB82WEST1234569876543', 'XX89370400440532013000'],
    },
  ),
  rule(
    'NAME',
    'pii-name',
    'Person name shown in a session',
    'A person name appeared (found by Comprehend).',
    false,
  ),
  rule(
    'ADDRESS',
    'pii-address',
    'Postal address shown in a session',
    'A postal address appeared (found by Comprehend).',
    false,
  ),
  rule(
    'BANK_ACCOUNT_NUMBER',
    'pii-bank-account-number',
    'Bank account number shown in a session',
    'A bank account number appeared (found by Comprehend).',
    false,
  ),
  rule(
    'PASSPORT_NUMBER',
    'pii-passport-number',
    'Passport number shown in a session',
    'A passport number appeared (found by Comprehend).',
    false,
  ),
  rule(
    'DRIVER_ID',
    'pii-driver-id',
    "Driver's licence number shown in a session",
    "A driver's licence number appeared (found by Comprehend).",
    false,
  ),
];

const BY_KIND = new Map(PII_RULES.map((r) => [r.kind, r]));

/**
 * The rule for a Comprehend (or local) entity type. Unknown types get a generated rule
 * `pii-<type in kebab case>` so a new Comprehend type is still reported, never dropped.
 */
export function piiRuleFor(entityType: string): RuleMeta {
  const type = entityType.trim().toUpperCase();
  const known = BY_KIND.get(type) ?? BY_KIND.get(TYPE_ALIASES[type] ?? '');
  if (known) return known;
  const readable = type.toLowerCase().replace(/_/g, ' ');
  return {
    id: `pii-${
      type
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || 'unknown'
    }`,
    category: 'pii',
    severity: DEFAULT_CONFIG.pii.typeSeverity[type] ?? DEFAULT_CONFIG.pii.defaultSeverity,
    title: `Personal data (${readable}) shown in a session`,
    description: `Amazon Comprehend found personal data of type ${type} in the session log.`,
    playbook,
  };
}

/** Severity of an entity type: `config.pii.typeSeverity` (also under its alias), else the default. */
export function piiSeverity(type: string, config: Config): Severity {
  const t = type.trim().toUpperCase();
  const map = config.pii.typeSeverity;
  return map[t] ?? map[TYPE_ALIASES[t] ?? ''] ?? config.pii.defaultSeverity;
}
