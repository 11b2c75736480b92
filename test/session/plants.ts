/**
 * Planted values for the no-leak tests of the session core: realistic (fake) secrets and personal
 * data, the text written into a record member, and the needles that must never appear verbatim in a
 * finding, an error or a state item. A plant may legitimately vanish; the check is absence.
 */

export interface Plant {
  kind: string;
  text: string;
  needles: string[];
}

const JWT_PAYLOAD = 'eyJzdWIiOiJmdXp6LXN1aXRlIiwibmFtZSI6IkphbmUgRG9lIiwiaWF0IjoxNzY0NDAwMDAwfQ';
const JWT_SIGNATURE = 'q3T9xWv0Yk2Lr8Zp5Nf1Hc7Bd4Gs6Ja0Um2Ve9Ko3Ii';

export const PLANTS: readonly Plant[] = [
  { kind: 'aws-access-key', text: 'AKIAQ2WX7RZLM3KD5TPV', needles: ['AKIAQ2WX7RZLM3KD5TPV'] },
  // Digits outside the base32 alphabet: not a real key id, still one to a reader.
  { kind: 'aws-access-key-lookalike', text: 'AKIA0189KDZQ8V1XW90E', needles: ['AKIA0189KDZQ8V1XW90E'] },
  {
    kind: 'aws-secret-key',
    text: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8v3KEY9',
    needles: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8v3KEY9', 'bPxRfiCYzq8v3KEY9'],
  },
  {
    kind: 'aws-secret-key-assignment',
    text: 'aws_secret_access_key=Zq3vR8tLx2Nw9PbK4sHd7YcF1mJe6UgA0oTiXyQp',
    needles: ['Zq3vR8tLx2Nw9PbK4sHd7YcF1mJe6UgA0oTiXyQp'],
  },
  { kind: 'card-visa', text: '4111 1111 1111 1111', needles: ['4111 1111 1111 1111', '4111111111111111'] },
  { kind: 'card-mastercard', text: '5555555555554444', needles: ['5555555555554444'] },
  { kind: 'card-amex-dashed', text: '3782-822463-10005', needles: ['3782-822463-10005', '378282246310005'] },
  { kind: 'ssn', text: '078-05-1120', needles: ['078-05-1120', '078051120'] },
  { kind: 'email', text: 'jane.doe@example.org', needles: ['jane.doe@example.org', 'jane.doe'] },
  { kind: 'phone', text: '+1-202-555-0143', needles: ['202-555-0143', '2025550143'] },
  {
    kind: 'github-token',
    text: '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',
    needles: ['Fz8qLm3TnW7pRc2XvB9kYd4HsJ6gNa0b8Js7'],
  },
  {
    kind: 'slack-token',
    text: 'xoxb-262486016-3910425876-Ab3dE7gH1jK5mN9pQ2sT6vW8',
    needles: ['xoxb-262486016-3910425876-Ab3dE7gH1jK5mN9pQ2sT6vW8', 'Ab3dE7gH1jK5mN9pQ2sT6vW8'],
  },
  { kind: 'vendor-token', text: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', needles: ['4eC39HqLyjWDarjtT1zdp7dc'] },
  {
    kind: 'jwt',
    text: `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${JWT_PAYLOAD}.${JWT_SIGNATURE}`,
    needles: [JWT_PAYLOAD, JWT_SIGNATURE],
  },
  { kind: 'url-password', text: 'https://bob:S3cr3tPass@db.example.net/x', needles: ['S3cr3tPass'] },
];

export type PlantMode = 'replace' | 'append' | 'path';
export const MODES: readonly PlantMode[] = ['replace', 'append', 'path'];

/** The value written: the plant alone, after the original and a space, or as the last path segment. */
export function plantInto(original: string, text: string, mode: PlantMode): string {
  if (mode === 'replace') return text;
  return mode === 'append' ? `${original} ${text}` : `${original}/${text}`;
}

/** The needles of `plant` found in `text`. */
export function leaks(plant: Plant, text: string): string[] {
  return plant.needles.filter((n) => text.includes(n));
}

/**
 * Members that name the actor (principal ARN and names, session ids). An e-mail there is the identity
 * of an IAM Identity Center user (`…/AWSReservedSSO_…/jane@example.org`, `jane@example.org-<suffix>`):
 * shown as written, like any ARN (shared/format/redact.ts identityField). Every other plant is not.
 */
const IDENTITY_MEMBERS =
  /^(?:userIdentity\.(?:arn|userName|principalId|invokedBy|onBehalfOf\.userId)|(?:request|response)(?:Parameters|Elements)\.sessionId|detail\.(?:userIdentity\.(?:arn|userName|principalId|invokedBy|onBehalfOf\.userId)|(?:request|response)(?:Parameters|Elements)\.sessionId))$/;

/** Whether `plant` in the member at `path` may legitimately be shown (an e-mail naming the actor). */
export function isIdentityPlant(plant: Plant, path: ReadonlyArray<string | number>): boolean {
  return plant.kind === 'email' && IDENTITY_MEMBERS.test(path.join('.'));
}

export type Json = Record<string, unknown>;

/** Paths of every string member of a JSON value (array indexes as numbers). */
export function stringPaths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v === 'string') return [prefix];
  if (Array.isArray(v)) return v.flatMap((x, i) => stringPaths(x, [...prefix, i]));
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => stringPaths(x, [...prefix, k]));
  }
  return [];
}

export function getAt(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let cur = root;
  for (const k of path) cur = (cur as Record<string | number, unknown>)[k];
  return cur;
}

/** A copy of `root` with the member at `path` set to `value`. */
export function setAt<T>(root: T, path: ReadonlyArray<string | number>, value: unknown): T {
  const copy = structuredClone(root);
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  cur[path[path.length - 1]!] = value;
  return copy;
}

/** Members a record may lack that the classifier reads: planted too, so every path is exercised. */
export function withOptionalMembers(record: Json): Json {
  const r = structuredClone(record);
  const req = (r.requestParameters ?? {}) as Json;
  if (r.eventName === 'StartSession') {
    req.reason ??= 'OPS-1234 routine maintenance';
    req.documentName ??= 'AWS-StartPortForwardingSessionToRemoteHost';
    req.parameters ??= { host: ['db.internal.example.com'], portNumber: ['5432'] };
  }
  r.requestParameters = req;
  r.errorMessage ??= 'User is not authorized to perform ssm:StartSession';
  r.userAgent ??= 'aws-cli/2.15.0 Python/3.11';
  return r;
}
