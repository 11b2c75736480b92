/** Business-hours check in an IANA time zone. Formatters are cached: building one costs far more than using it. */

export interface BusinessHours {
  timezone: string;
  days: readonly string[];
  start: string;
  end: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Local weekday (`Mon`…) and `HH:MM` of an instant in a time zone. */
export function localTime(iso: string, timeZone: string): { day: string; hhmm: string } | undefined {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  let day = '';
  let hour = '';
  let minute = '';
  for (const p of formatter(timeZone).formatToParts(t)) {
    if (p.type === 'weekday') day = p.value;
    else if (p.type === 'hour') hour = p.value;
    else if (p.type === 'minute') minute = p.value;
  }
  return { day, hhmm: `${hour.padStart(2, '0')}:${minute.padStart(2, '0')}` };
}

/** Outside the given days or the [start, end) interval; undefined when the time cannot be read. */
export function isOffHours(
  iso: string,
  hours: BusinessHours,
): { off: boolean; day: string; hhmm: string } | undefined {
  const local = localTime(iso, hours.timezone);
  if (!local) return undefined;
  const inHours = hours.days.includes(local.day) && local.hhmm >= hours.start && local.hhmm < hours.end;
  return { off: !inHours, ...local };
}
