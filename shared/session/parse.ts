import { describeError, zodMessage } from '../errors';
import { CLOUDTRAIL_DETAIL_TYPE, type CloudTrailRecord, CloudTrailRecordSchema } from '../model/cloudtrail';

export type ParseResult = { ok: true; record: CloudTrailRecord } | { ok: false; error: string };

/**
 * Validate one CloudTrail record. Never throws: anything unusable becomes a one-line error naming
 * the member and the problem, never the value (records carry keys, names and addresses).
 * `eventTime` is normalised to ISO-8601 UTC (`2025-02-19T20:13:49Z`), also from the space-separated
 * form some exporters write (Panther: `2025-02-19 20:13:49`).
 */
export function parseRecord(raw: unknown): ParseResult {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return { ok: false, error: `not a CloudTrail record: expected an object, got ${describe(raw)}` };
    }
    const r = CloudTrailRecordSchema.safeParse(raw);
    if (!r.success) {
      const problem = zodMessage(r.error, { max: 1, root: '(record)' }) || 'invalid';
      return { ok: false, error: `invalid CloudTrail record: ${problem}` };
    }
    const time = normaliseTime(r.data.eventTime);
    if (time === undefined) {
      return {
        ok: false,
        error:
          'invalid CloudTrail record: eventTime: not a valid ISO-8601 date-time such as 2025-02-19T20:13:49Z',
      };
    }
    return { ok: true, record: time === r.data.eventTime ? r.data : { ...r.data, eventTime: time } };
  } catch (e) {
    // zod does not throw on safeParse, but hostile input (getters, proxies) must still not escape.
    return { ok: false, error: `invalid CloudTrail record: unreadable input (${describeError(e)})` };
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

/** Times outside these years are not CloudTrail's (and `Date.UTC` reads years below 100 as 19xx). */
const MIN_YEAR = 1970;
const MAX_YEAR = 9999;
const MAX_TIME = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999);
/** UTC offsets in use run from -12:00 to +14:00. */
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * ISO-8601 UTC without milliseconds when they are zero (CloudTrail's own form), or undefined.
 * A time without zone is UTC: CloudTrail times always are. Impossible dates (2025-02-30, 24:00),
 * offsets (+99:99, +15:00) and years outside 1970–9999 are refused, never rolled over.
 */
export function normaliseTime(text: string): string | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  // Reject 2025-02-30 or 24:00 instead of letting Date roll them over into another day.
  if (!inRange(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return undefined;
  if (CANONICAL.test(text)) return text;
  const offset = zoneOffsetMs(zone);
  if (offset === undefined) return undefined;
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms) - offset;
  if (!(t >= 0 && t <= MAX_TIME)) return undefined;
  const iso = new Date(t).toISOString();
  return ms === 0 ? `${iso.slice(0, 19)}Z` : iso;
}

function inRange(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (y < MIN_YEAR || y > MAX_YEAR) return false;
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1]!;
  return d <= days;
}

/** The zone's offset east of UTC in ms, or undefined for an impossible one (`+99:99`, `+15:00`). */
function zoneOffsetMs(zone: string): number | undefined {
  if (/^(z|utc)$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  const total = hours * 60 + minutes;
  if (minutes > 59 || total > MAX_OFFSET_MINUTES || (sign < 0 && total > 12 * 60)) return undefined;
  return sign * total * 60_000;
}

/** The kind of a non-object input, never its value. */
function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
