import { redactField } from '../format/redact';
import { stableId } from '../ids';

/**
 * Session Manager preferences (the `inputs` of SSM-SessionManagerRunShell) before and after a change.
 * Values are never reported: only which keys changed and whether a protection went on or off. Nor are
 * they stored: state keeps a digest ({@link digestPreferences}) that answers the same questions.
 */

export type Protection = 'logging' | 'streaming' | 'encryption';

export interface PreferenceChange {
  key: string;
  /** e.g. `on → off`, `set → removed`, `changed`. */
  change: string;
}

export interface PreferencesDiff {
  changes: PreferenceChange[];
  /** Protections switched off (or, with no previous state known, found off). */
  disabled: Protection[];
}

const LOG_DESTINATIONS = ['s3BucketName', 'cloudWatchLogGroupName'] as const;
const ENCRYPTION_FLAGS = ['s3EncryptionEnabled', 'cloudWatchEncryptionEnabled'] as const;

/** Accept either the whole document content or just its `inputs`. */
export function preferenceInputs(
  doc: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (doc === undefined) return undefined;
  const inputs = doc.inputs;
  return typeof inputs === 'object' && inputs !== null && !Array.isArray(inputs)
    ? (inputs as Record<string, unknown>)
    : doc;
}

/** A digested string value: `#h:` and 16 hex digits of its SHA-256. */
const DIGEST = /^#h:[0-9a-f]{16}$/;

/**
 * What state keeps of preferences: flags, numbers and empty values as they are (they say whether a
 * protection is on), every other value replaced by a digest (equal values, equal digests), keys
 * redacted. Diffing two digests gives the same changes as diffing the values. Idempotent, so stored
 * digests and older stored values can be digested again when read.
 */
export function digestPreferences(prefs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(preferenceInputs(prefs) ?? {})) {
    out[redactField(key, 80) ?? '<key>'] = digestValue(value);
  }
  return out;
}

function digestValue(v: unknown): unknown {
  if (v === undefined || v === null || typeof v === 'boolean' || typeof v === 'number') return v;
  if (isFlag(v)) return v;
  if (!isSet(v)) return typeof v === 'string' ? '' : {};
  if (typeof v === 'string' && DIGEST.test(v)) return v;
  return `#h:${stableId(stable(v)).slice(0, 16)}`;
}

/** Pure diff of two preference sets; `before` undefined means the previous state is unknown. */
export function diffPreferences(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): PreferencesDiff {
  const a = preferenceInputs(after) ?? {};
  const b = preferenceInputs(before);
  const disabled = new Set<Protection>();
  const changes: PreferenceChange[] = [];

  if (b === undefined) {
    // Nothing to compare with: report only what is off now.
    if (!LOG_DESTINATIONS.some((k) => isSet(a[k]))) disabled.add('logging');
    return { changes, disabled: [...disabled] };
  }

  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  for (const key of keys) {
    const change = describeChange(b[key], a[key]);
    if (change) changes.push({ key, change });
  }
  for (const k of LOG_DESTINATIONS) if (isSet(b[k]) && !isSet(a[k])) disabled.add('logging');
  if (flag(b.cloudWatchStreamingEnabled) && !flag(a.cloudWatchStreamingEnabled)) disabled.add('streaming');
  if (isSet(b.kmsKeyId) && !isSet(a.kmsKeyId)) disabled.add('encryption');
  for (const k of ENCRYPTION_FLAGS) if (flag(b[k]) && !flag(a[k])) disabled.add('encryption');
  return { changes, disabled: [...disabled] };
}

function describeChange(before: unknown, after: unknown): string | undefined {
  if (isFlag(before) || isFlag(after)) {
    const x = flag(before);
    const y = flag(after);
    return x === y ? undefined : `${onOff(before)} → ${onOff(after)}`;
  }
  const x = isSet(before);
  const y = isSet(after);
  if (!x && !y) return undefined;
  if (!x) return 'unset → set';
  if (!y) return 'set → removed';
  return stable(before) === stable(after) ? undefined : 'changed';
}

function isFlag(v: unknown): boolean {
  return typeof v === 'boolean' || v === 'true' || v === 'false';
}

function flag(v: unknown): boolean {
  return v === true || v === 'true';
}

function onOff(v: unknown): string {
  if (v === undefined || v === null) return 'unset';
  return flag(v) ? 'on' : 'off';
}

function isSet(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'string') return v.trim().length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** Key-order-independent text of a value, for equality only (never output). */
function stable(v: unknown): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? '';
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(',')}}`;
}
