import { CLOUDTRAIL_DETAIL_TYPE, type CloudTrailRecord, CloudTrailRecordSchema } from '../model/cloudtrail';

export type ParseResult = { ok: true; record: CloudTrailRecord } | { ok: false; error: string };

/** Longest value quoted back in an error message: bad input can be huge. */
const QUOTE_MAX = 40;

/**
 * Validate one CloudTrail record. Never throws: anything unusable becomes a one-line error naming
 * the member. `eventTime` is normalised to ISO-8601 UTC (`2025-02-19T20:13:49Z`), also from the
 * space-separated form some exporters write (Panther: `2025-02-19 20:13:49`).
 */
export function parseRecord(raw: unknown): ParseResult {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, error: `not a CloudTrail record: expected an object, got ${describe(raw)}` };
    }
    const r = CloudTrailRecordSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = issue?.path.map(String).join('.') || '(record)';
      const extra = r.error.issues.length > 1 ? ` (+${r.error.issues.length - 1} more)` : '';
      return {
        ok: false,
        error: `invalid CloudTrail record: ${path}: ${issue?.message ?? 'invalid'}${extra}`,
      };
    }
    const time = normaliseTime(r.data.eventTime);
    if (time === undefined) {
      return {
        ok: false,
        error: `invalid CloudTrail record: eventTime ${quote(r.data.eventTime)} is not a date-time`,
      };
    }
    return { ok: true, record: time === r.data.eventTime ? r.data : { ...r.data, eventTime: time } };
  } catch (e) {
    // zod does not throw on safeParse, but hostile input (getters, proxies) must still not escape.
    return {
      ok: false,
      error: `invalid CloudTrail record: ${e instanceof Error ? e.message : 'unreadable input'}`,
    };
  }
}

/** The CloudTrail record inside an EventBridge "AWS API Call via CloudTrail" event, else the input unchanged. */
export function unwrapEnvelope(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const env = raw as Record<string, unknown>;
  const detail = env.detail;
  if (env['detail-type'] !== CLOUDTRAIL_DETAIL_TYPE || typeof detail !== 'object' || detail === null)
    return raw;
  return detail;
}

const TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;
/** CloudTrail's own form: returned as is once its fields are in range (the common, hot path). */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * ISO-8601 UTC without milliseconds when they are zero (CloudTrail's own form), or undefined.
 * A time without zone is UTC: CloudTrail times always are.
 */
export function normaliseTime(text: string): string | undefined {
  if (text.length > 64) return undefined;
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  // Reject 2025-02-30 or 24:00 instead of letting Date roll them over into another day.
  if (!inRange(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return undefined;
  if (CANONICAL.test(text)) return text;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const iso = new Date(t - zoneOffsetMs(zone)).toISOString();
  return ms === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

function inRange(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!;
  return d <= days;
}

function zoneOffsetMs(zone: string): number {
  if (/^(z|utc)$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  return sign * (hours * 60 + minutes) * 60_000;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `a string ${quote(v)}` : `a ${typeof v}`;
}

function quote(s: string): string {
  const clipped = s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}…` : s;
  return JSON.stringify(clipped);
}
