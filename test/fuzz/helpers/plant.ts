/**
 * Planted values for the no-leak properties: each is a realistic secret or piece of personal data
 * (fake), the text that is written into an input field, and the needles that must never appear
 * verbatim in any output. A planted value may legitimately appear nowhere; the check is absence.
 */

export interface Plant {
  kind: string;
  /** What is written into the field (replacing it or appended to it). */
  text: string;
  /** What must not appear in any output: the raw value in the forms a renderer could print. */
  needles: string[];
}

const JWT_HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';
const JWT_PAYLOAD = 'eyJzdWIiOiJmdXp6LXN1aXRlIiwibmFtZSI6IkphbmUgRG9lIiwiaWF0IjoxNzY0NDAwMDAwfQ';
const JWT_SIGNATURE = 'q3T9xWv0Yk2Lr8Zp5Nf1Hc7Bd4Gs6Ja0Um2Ve9Ko3Ii';

export const PLANTS: readonly Plant[] = [
  // A valid access key id (base32 alphabet after AKIA) and a look-alike with digits outside base32.
  { kind: 'aws-access-key', text: 'AKIAQ2WX7RZLM3KD5TPV', needles: ['AKIAQ2WX7RZLM3KD5TPV'] },
  { kind: 'aws-access-key-lookalike', text: 'AKIA0189KDZQ8V1XW90E', needles: ['AKIA0189KDZQ8V1XW90E'] },
  {
    kind: 'aws-secret-key',
    text: 'aws_secret_access_key=Zq3vR8tLx2Nw9PbK4sHd7YcF1mJe6UgA0oTiXyQp',
    needles: ['Zq3vR8tLx2Nw9PbK4sHd7YcF1mJe6UgA0oTiXyQp'],
  },
  { kind: 'card-visa', text: '4111 1111 1111 1111', needles: ['4111 1111 1111 1111', '4111111111111111'] },
  { kind: 'card-mastercard', text: '5555555555554444', needles: ['5555555555554444', '5555 5555 5555 4444'] },
  { kind: 'ssn', text: '078-05-1120', needles: ['078-05-1120', '078051120'] },
  { kind: 'email', text: 'jane.doe@example.org', needles: ['jane.doe@example.org'] },
  {
    kind: 'npm-token',
    text: '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',
    needles: ['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', 'Fk7qR2mXw9LpZt4BvN8cYh3JdS6aGe1PuPiV'],
  },
  {
    kind: 'stripe-key',
    text: 'sk_live_51Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qa9Ws1Ed3Rf5Tg7Yh9Uj1Ik3',
    needles: ['51Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qa9Ws1Ed3Rf5Tg7Yh9Uj1Ik3'],
  },
  {
    kind: 'openai-key',
    text: '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',
    needles: ['Qw3Er5Ty7Ui9Op1As3DfT3BlbkFJGh5Jk7Lz9Xc1Vb3Nm5Qa'],
  },
  {
    kind: 'vault-token',
    text: 'hvs.CAESIQw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qa9Ws1Ed3GiIKHGh2cy5RdzNFcjVUeTdVaTlPcDFBczNEZjVHaDc',
    needles: [
      'CAESIQw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7Qa9Ws1Ed3GiIKHGh2cy5RdzNFcjVUeTdVaTlPcDFBczNEZjVHaDc',
    ],
  },
  { kind: 'url-password-db', text: 'postgres://app:S3cr3tDbPw@db:5432/x', needles: ['S3cr3tDbPw'] },
  // CRC32 checksum valid (the detector checks it), so it is a token by every definition.
  {
    kind: 'github-token',
    text: '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',
    needles: ['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', 'Fz8qLm3TnW7pRc2XvB9kYd4HsJ6gNa0b8Js7'],
  },
  {
    kind: 'jwt',
    text: `${JWT_HEADER}.${JWT_PAYLOAD}.${JWT_SIGNATURE}`,
    // The header is the standard HS256 one and says nothing; payload and signature are the secret.
    needles: [JWT_PAYLOAD, JWT_SIGNATURE],
  },
  {
    kind: 'url-password',
    text: 'https://bob:S3cr3tPass@db.example.net/orders',
    needles: ['S3cr3tPass'],
  },
];

/** Terminal escape sequences and bidi overrides: a title rewrite, a screen clear, colours, RTL override. */
export const ESCAPES = '\u001b]0;pwned\u0007\u001b[2J\u001b[31mRED\u001b[0m\r\b\u009b1m\u202eevil\u2066';

export type PlantMode = 'replace' | 'append';
export const MODES: readonly PlantMode[] = ['replace', 'append'];

export function plantInto(original: string, text: string, mode: PlantMode): string {
  return mode === 'replace' ? text : `${original} ${text}`;
}

/** Where each needle of `plant` occurs: the names of the channels that contain it. */
export function leakedChannels(plant: Plant, channels: Record<string, string>): string[] {
  const hit: string[] = [];
  for (const [name, text] of Object.entries(channels)) {
    if (plant.needles.some((n) => text.includes(n))) hit.push(name);
  }
  return hit;
}

/**
 * Characters a terminal or a log viewer would act on: C0 controls other than newline and tab, DEL,
 * C1 controls and bidi overrides.
 */
const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** The first unsafe character of `text` with a little context, or undefined. */
export function unsafeCharAt(text: string): string | undefined {
  const m = UNSAFE_CHARS.exec(text);
  if (!m) return undefined;
  const code = m[0].codePointAt(0)!.toString(16).padStart(4, '0');
  return `U+${code} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 20))}`;
}

/**
 * A Node stack trace or V8 fatal-error dump: "    at fn (file:1:2)" frames, FATAL ERROR, native
 * frames, or a bare internal error class that escaped describeError.
 */
const CRASH =
  /^\s+at .+(?::\d+:\d+\)?|\(native\))$|FATAL ERROR|JavaScript heap out of memory|Exception in PromiseRejectCallback|node:internal|==== JS stack trace|\b(?:TypeError|RangeError|ReferenceError|InternalError)\b|Maximum call stack/m;

export function crashTrace(text: string): string | undefined {
  const m = CRASH.exec(text);
  if (!m) return undefined;
  return JSON.stringify(text.slice(Math.max(0, m.index - 80), m.index + 120));
}
