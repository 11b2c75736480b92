import { fieldAt, tableHeader } from '../detect/columns';
import { intlPhoneSpans } from '../detect/intl-phone';
import { type LocalPiiMatcher, lazyTest, type PiiLine } from '../detect/pii-engine';
import { callingCodeLength, cardValid, execAll, execNear, ibanPrefix, ssnValid } from '../detect/validators';
import type { Config } from '../model/config';
import type { Severity } from '../model/finding';
import { DEFAULT_PII_SEVERITY, DEFAULT_PII_TYPE_SEVERITY } from '../model/pii-severity';
import type { PiiEntity } from '../pii/types';
import type { CatalogueRule, RuleMeta } from './types';

/**
 * Personal-data rules, one per entity type. Kinds are Amazon Comprehend's `DetectPiiEntities` type
 * names, so the offline engine and Comprehend report the same kind under the same rule.
 *
 * Every rule matches Comprehend entities of its type (`entity`). Local rules also find their values
 * offline: their `local` matchers run in the engine (shared/detect/pii-engine.ts) in the order of
 * this list, and of overlapping values the earlier rule's wins (the digits of an e-mail address are
 * not also a phone).
 * Scores, like Comprehend's 0..1: checksum-validated values ≥ 0.9, well-formatted values 0.85,
 * values that need a nearby label to count 0.8. Every pattern is linear.
 */

/** What a rule sees of a Comprehend entity (offsets are the scanner's business). */
export type ComprehendEntity = Pick<PiiEntity, 'Type' | 'Score'>;

interface PiiRuleBase extends RuleMeta {
  kind: string;
  /**
   * A Comprehend entity is a finding of this rule: its type maps to this rule ({@link piiRuleFor})
   * and it counts ({@link piiEntityCounts}, the scanner's own check).
   */
  entity(entity: ComprehendEntity, config: Config): boolean;
}

/** Found offline too; examples are transcript lines. */
export interface LocalPiiRule extends PiiRuleBase, CatalogueRule<string> {
  local: readonly LocalPiiMatcher[];
}

/** Found by Comprehend only; examples are entities. */
export interface ComprehendPiiRule extends PiiRuleBase, CatalogueRule<ComprehendEntity> {
  local?: undefined;
}

export type PiiRule = LocalPiiRule | ComprehendPiiRule;

/** Config keys that name a type differently from Comprehend (the configuration uses `IBAN`). */
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

const NIST_PII = 'https://csrc.nist.gov/pubs/sp/800/122/final';
const COMPREHEND_TYPES = 'https://docs.aws.amazon.com/comprehend/latest/dg/how-pii.html';

/**
 * Whether Comprehend's entity counts at all: a typed entity scoring at least `config.pii.minScore`.
 * The Comprehend scanner keeps exactly these (then maps each to its rule with {@link piiRuleFor}).
 */
export function piiEntityCounts(entity: unknown, config: Config): boolean {
  if (typeof entity !== 'object' || entity === null) return false;
  const { Type, Score } = entity as Partial<ComprehendEntity>;
  // Negated `<`, as the scanner always compared: a NaN score is not below the threshold.
  return typeof Type === 'string' && typeof Score === 'number' && !(Score < config.pii.minScore);
}

type Derived = 'category' | 'severity' | 'playbook' | 'entity';

/** Category, default severity, playbook and the entity matcher every PII rule shares. */
function derived(kind: string, self: () => PiiRule): Pick<PiiRule, Derived> {
  return {
    category: 'pii',
    severity: defaultSeverity(kind),
    playbook,
    entity: (entity, config) => piiEntityCounts(entity, config) && piiRuleFor(entity.Type) === self(),
  };
}

function localRule(spec: Omit<LocalPiiRule, Derived>): LocalPiiRule {
  const rule: LocalPiiRule = { ...spec, ...derived(spec.kind, () => rule) };
  return rule;
}

function comprehendRule(spec: Omit<ComprehendPiiRule, Derived>): ComprehendPiiRule {
  const rule: ComprehendPiiRule = { ...spec, ...derived(spec.kind, () => rule) };
  return rule;
}

// --- E-mail -------------------------------------------------------------------------------------

/**
 * Lookbehind after the first character (same matches), so V8's regex engine skips ahead on the
 * first-character class.
 */
const EMAIL =
  /[A-Za-z0-9](?<![\w.+%-][A-Za-z0-9])(?:[A-Za-z0-9._%+-]{0,62}[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])/g;
/** Longest local part EMAIL accepts: a match starts at most this far before its `@`. */
const MAX_LOCAL = 64;
/** File extensions and private suffixes that make `x@y.z` a file or host name, not a mailbox. */
const NOT_MAIL_TLD = new Set(
  'png jpg jpeg gif svg webp ico css js mjs ts map json yml yaml log txt html htm xml md internal local localdomain localhost lan arpa intranet'.split(
    ' ',
  ),
);

/** How far back from an address the `scheme://` of a URL whose user info it would be is looked for. */
const MAX_USERINFO = 256;

/**
 * Whether the address found at `at` is the `user[:password]@host` of a URL (`scheme://` before it,
 * nothing but user-info characters between): a login, not a mailbox, and after a `:` a password that
 * the secret rules report (an e-mail excerpt would show its first character). The walk back stops at
 * the first blank, quote, `@` or `/`, so it never crosses an earlier address: linear per line.
 */
function inUrlUserinfo(text: string, at: number): boolean {
  for (let i = at - 1; i >= Math.max(0, at - MAX_USERINFO); i--) {
    const c = text[i]!;
    if (c === '/') return i >= 2 && text[i - 1] === '/' && text[i - 2] === ':';
    if (c === '@' || c === '"' || c === "'" || c <= ' ') return false;
  }
  return false;
}

const email: LocalPiiMatcher = {
  minDigits: 0,
  needs: '@',
  find({ text }, out) {
    for (const m of execNear(EMAIL, text, '@', MAX_LOCAL)) {
      if (!NOT_MAIL_TLD.has(m[1]!.toLowerCase()) && !inUrlUserinfo(text, m.index))
        out.add(m.index, m[0], 0.9);
    }
  },
};

// --- Payment card -------------------------------------------------------------------------------

/**
 * The left-boundary lookbehind sits after the first digit (same matches: it checks the character
 * before that digit), so V8's regex engine skips ahead to digits instead of evaluating it everywhere.
 */
const CARD =
  /\d(?<![\w.\-/]\d)(?:\d{12,18}|\d{3}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{3}([ -])\d{6}\2\d{4,5})(?![\w]|[.-]\d)/g;

const card: LocalPiiMatcher = {
  minDigits: 13,
  find({ text }, out) {
    // A candidate that fails the checks does not hide one starting inside it: `4444 4111 1111 1111
    // 1111` is first read as `4444 4111 1111 1111` (not a card), then from the next digit on.
    CARD.lastIndex = 0;
    for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
      if (!cardValid(m[0].replace(/\D/g, ''))) {
        CARD.lastIndex = m.index + 1;
        continue;
      }
      out.add(m.index, m[0], m[1] || m[2] ? 0.95 : 0.9);
    }
    CARD.lastIndex = 0;
  },
};

// --- IBAN ---------------------------------------------------------------------------------------

const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Za-z0-9])/g;
/** IBAN candidates need `CCdd`; tested before the full pattern. */
const IBAN_START = /[A-Z]{2}\d\d/;

const iban: LocalPiiMatcher = {
  // The fewest digits any local number needs: a line with fewer is not searched for one.
  minDigits: 8,
  find({ text }, out) {
    if (!IBAN_START.test(text)) return;
    for (const m of execAll(IBAN, text)) {
      const value = ibanPrefix(m[0]);
      if (value) out.add(m.index, value, 0.95);
    }
  },
};

// --- SSN ----------------------------------------------------------------------------------------

const SSN = /(?<![\w-])(\d{3})([- ]?)(\d{2})\2(\d{4})(?![\w-])/g;
/** A label on the line that makes an SSN-shaped value an SSN. */
const SSN_WORD = /\b(?:ssn|social[\s_-]*security|soc[\s_.-]*sec)/i;
/** Header fields naming an SSN column, and a quick test for a line that may hold one. */
const SSN_HEADER =
  /^(?:ssn|social[\s_-]*security(?:[\s_-]*(?:number|no|num|nr))?|ss[\s_-]*(?:no|num|number))$/i;
const SSN_HEADER_HINT = /ssn|social|ss[\s_-]*n/i;

function ssnInColumn(line: PiiLine, start: number, fields: Map<string, number[]>): boolean {
  for (const c of line.tables) {
    const f = fieldAt(line.text, c.sep, start, fields);
    if (f.count === c.columns && c.ssn.includes(f.index)) return true;
  }
  return false;
}

const ssn: LocalPiiMatcher = {
  minDigits: 9,
  header(text) {
    if (!SSN_HEADER_HINT.test(text)) return undefined;
    const t = tableHeader(text, (field) => SSN_HEADER.test(field));
    return t && { sep: t.sep, columns: t.columns, ssn: t.indexes };
  },
  find(line, out) {
    const fields = new Map<string, number[]>();
    // The label regex runs at most once a line, and only when no column gave the context.
    const label = lazyTest(SSN_WORD, line.text);
    for (const m of execAll(SSN, line.text)) {
      const valid = ssnValid(m[1]! + m[3]! + m[4]!);
      const dashed = m[2] === '-';
      const context = ssnInColumn(line, m.index, fields) || label();
      let score = 0;
      if (valid && dashed) score = context ? 0.95 : 0.85;
      else if (context && (valid || dashed)) score = 0.8;
      if (score > 0) out.add(m.index, m[0], score);
    }
  },
};

// --- Phone --------------------------------------------------------------------------------------

const NANP =
  /(?<![\w.+/-])(?:(\+?1)([ .-]?))?(?:\(([2-9][0-8]\d)\) ?|([2-9][0-8]\d)([ .-]?))([2-9]\d{2})([ .-]?)(\d{4})(?![\w]|[.-]\d)/g;
/**
 * Every NANP match holds `ddd[ .-]?dddd`; this gate starts on a digit, so V8's regex engine skips
 * ahead, while NANP's leading lookbehind runs at every position.
 */
const NANP_CORE = /\d{3}[ .-]?\d{4}/;
const PHONE_WORD = /\b(?:phone|tel|telephone|mobile|cell|fax|contact)\b/i;

/** North American numbers: separators, a `+1` or a phone label decide whether digits are a phone. */
const nanpPhone: LocalPiiMatcher = {
  minDigits: 10,
  find({ text }, out) {
    if (!NANP_CORE.test(text)) return;
    // The label regex runs at most once a line, and only for the shapes that need a label.
    const phoneWord = lazyTest(PHONE_WORD, text);
    for (const m of execAll(NANP, text)) {
      const [, cc, , parenArea, area, s1, , s2] = m;
      let score = 0;
      if (parenArea !== undefined) {
        if (s2 === '-' || s2 === '.' || s2 === ' ') score = 0.9;
        else score = phoneWord() ? 0.8 : 0;
      } else if (s1 === s2 && (s1 === '-' || s1 === '.')) score = cc ? 0.9 : s1 === '-' ? 0.85 : 0.8;
      else if (s1 === s2 && cc?.startsWith('+')) score = 0.85;
      else if (s1 === s2 && area !== undefined && phoneWord()) score = 0.8;
      if (score > 0) out.add(m.index, m[0], score);
    }
  },
};

/** International numbers (`+44 20 7946 0958`): E.164 length and a known country calling code. */
const intlPhone: LocalPiiMatcher = {
  minDigits: 8,
  needs: '+',
  find({ text }, out) {
    for (const [start, end] of intlPhoneSpans(text)) {
      const value = text.slice(start, end);
      const all = value.replace(/\D/g, '');
      if (all.length >= 8 && all.length <= 15 && callingCodeLength(all) > 0) out.add(start, value, 0.85);
    }
  },
};

// --- The rules ----------------------------------------------------------------------------------

/** Local rules first, in overlap priority. */
export const PII_RULES: readonly PiiRule[] = [
  localRule({
    kind: 'EMAIL',
    id: 'pii-email',
    title: 'E-mail address shown in a session',
    description:
      'An e-mail address of a person or customer appeared (hostnames such as user@ip-10-0-1-23.ec2.internal, ' +
      'image names such as logo@2x.png and the user:password@host of a URL are not reported).',
    references: [NIST_PII, COMPREHEND_TYPES],
    local: [email],
    examples: {
      match: ['contact: patricia.brown21@example.org', "'email': 'emily.rodriguez@example.com'"],
      noMatch: [
        '[ssm-user@ip-10-0-1-23 ~]$ ls',
        'ssh ec2-user@ip-10-0-1-23.ec2.internal',
        'icon@2x.png',
        'npm i lodash@4.17.21',
        'curl https://deploy:Sup3rSecret@nexus.example.com/repo/app.tgz',
        'git clone https://alice@git.example.com/acme/app.git',
      ],
    },
  }),
  localRule({
    kind: 'CREDIT_DEBIT_NUMBER',
    id: 'pii-credit-debit-number',
    title: 'Payment card number shown in a session',
    description:
      'A payment card number (13–19 digits, issuer range and length of Visa, Mastercard, Amex, Discover, ' +
      'JCB, Diners, UnionPay or Mir, valid Luhn check digit) appeared.',
    references: [NIST_PII, COMPREHEND_TYPES],
    local: [card],
    examples: {
      match: [
        'card 4111 1111 1111 1111 exp 12/29',
        '10001,A,4012888888881881,x',
        'pan=3782-822463-10005',
        '2223-0031-2200-3222',
      ],
      noMatch: ['4111111111111112', '1234567890123456', 'timestamp 1767225600000', '9999 9999 9999 9995'],
    },
  }),
  localRule({
    kind: 'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
    id: 'pii-iban',
    title: 'IBAN shown in a session',
    description:
      'An international bank account number appeared (registered country length and mod-97 check digits).',
    references: [
      NIST_PII,
      COMPREHEND_TYPES,
      'https://www.swift.com/standards/data-standards/iban-international-bank-account-number',
    ],
    local: [iban],
    examples: {
      match: [
        'IBAN DE89 3704 0044 0532 0130 00',
        'iban=GB82WEST12345698765432',
        'FR1420041010050500013M02606',
      ],
      noMatch: ['DE89 3704 0044 0532 0130 01', 'GB82WEST1234569876543', 'XX89370400440532013000'],
    },
  }),
  localRule({
    kind: 'SSN',
    id: 'pii-ssn',
    title: 'US Social Security number shown in a session',
    description:
      'A US SSN appeared: a valid ddd-dd-dddd number, or any SSN-shaped value next to an SSN label ' +
      '(same line, or the ssn column of a CSV/table header seen earlier in the session).',
    references: [NIST_PII, COMPREHEND_TYPES, 'https://www.ssa.gov/employer/randomization.html'],
    local: [ssn],
    examples: {
      match: ['SSN: 219-09-9999', 'employee 536-22-8745 onboarded', "{'name': 'X', 'ssn': '900-12-3456'}"],
      noMatch: ['build 900-12-3456 finished', 'order 536-00-8745', '2026-11-22 10:00', 'id 000-12-3456'],
    },
  }),
  localRule({
    kind: 'PHONE',
    id: 'pii-phone',
    title: 'Phone number shown in a session',
    description:
      'A phone number appeared: North American formats ((NPA) NXX-NNNN, NPA-NXX-NNNN, +1 …) or international ' +
      'E.164 numbers with a known country code.',
    references: [NIST_PII, COMPREHEND_TYPES],
    local: [nanpPhone, intlPhone],
    examples: {
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
  }),
  comprehendRule({
    kind: 'NAME',
    id: 'pii-name',
    title: 'Person name shown in a session',
    description: 'A person name appeared (found by Comprehend).',
    references: [NIST_PII, COMPREHEND_TYPES],
    examples: {
      match: [
        { Type: 'NAME', Score: 0.99 },
        { Type: 'name', Score: 0.8 },
      ],
      noMatch: [
        { Type: 'NAME', Score: 0.79 },
        { Type: 'ADDRESS', Score: 0.99 },
      ],
    },
  }),
  comprehendRule({
    kind: 'ADDRESS',
    id: 'pii-address',
    title: 'Postal address shown in a session',
    description: 'A postal address appeared (found by Comprehend).',
    references: [NIST_PII, COMPREHEND_TYPES],
    examples: {
      match: [
        { Type: 'ADDRESS', Score: 0.99 },
        { Type: 'address', Score: 0.8 },
      ],
      noMatch: [
        { Type: 'ADDRESS', Score: 0.5 },
        { Type: 'NAME', Score: 0.99 },
      ],
    },
  }),
  comprehendRule({
    kind: 'BANK_ACCOUNT_NUMBER',
    id: 'pii-bank-account-number',
    title: 'Bank account number shown in a session',
    description: 'A bank account number appeared (found by Comprehend).',
    references: [NIST_PII, COMPREHEND_TYPES],
    examples: {
      match: [
        { Type: 'BANK_ACCOUNT_NUMBER', Score: 0.99 },
        { Type: 'bank_account_number', Score: 0.8 },
      ],
      noMatch: [
        { Type: 'BANK_ACCOUNT_NUMBER', Score: 0.6 },
        { Type: 'BANK_ROUTING', Score: 0.99 },
      ],
    },
  }),
  comprehendRule({
    kind: 'PASSPORT_NUMBER',
    id: 'pii-passport-number',
    title: 'Passport number shown in a session',
    description: 'A passport number appeared (found by Comprehend).',
    references: [NIST_PII, COMPREHEND_TYPES],
    examples: {
      match: [
        { Type: 'PASSPORT_NUMBER', Score: 0.99 },
        { Type: 'passport_number', Score: 0.8 },
      ],
      noMatch: [
        { Type: 'PASSPORT_NUMBER', Score: 0.7 },
        { Type: 'US_PASSPORT_NUMBER', Score: 0.99 },
      ],
    },
  }),
  comprehendRule({
    kind: 'DRIVER_ID',
    id: 'pii-driver-id',
    title: "Driver's licence number shown in a session",
    description: "A driver's licence number appeared (found by Comprehend).",
    references: [NIST_PII, COMPREHEND_TYPES],
    examples: {
      match: [
        { Type: 'DRIVER_ID', Score: 0.99 },
        { Type: 'driver_id', Score: 0.8 },
      ],
      noMatch: [
        { Type: 'DRIVER_ID', Score: 0.3 },
        { Type: 'LICENSE_PLATE', Score: 0.99 },
      ],
    },
  }),
];

/** The rules the offline engine runs, in overlap priority. */
export const LOCAL_PII_RULES: readonly LocalPiiRule[] = PII_RULES.filter(
  (r): r is LocalPiiRule => r.local !== undefined,
);

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
    severity: DEFAULT_PII_TYPE_SEVERITY[type] ?? DEFAULT_PII_SEVERITY,
    title: `Personal data (${readable}) shown in a session`,
    description: `Amazon Comprehend found personal data of type ${type} in the session log.`,
    playbook,
  };
}

/** Severity of an entity type: `config.pii.typeSeverity` (also under its alias), else the default. */
export function piiSeverity(type: string, config: Config): Severity {
  return severityIn(type, config.pii.typeSeverity, config.pii.defaultSeverity);
}

/** The default configuration's severity, read without the configuration module (see pii-severity.ts). */
function defaultSeverity(type: string): Severity {
  return severityIn(type, DEFAULT_PII_TYPE_SEVERITY, DEFAULT_PII_SEVERITY);
}

function severityIn(type: string, map: Readonly<Record<string, Severity>>, fallback: Severity): Severity {
  const t = type.trim().toUpperCase();
  return map[t] ?? map[TYPE_ALIASES[t] ?? ''] ?? fallback;
}

/** A transcript line (local rules) or a Comprehend entity. */
export type PiiExample = string | ComprehendEntity;
