/**
 * The bank's calendar: Europe/London, with its summer time. VRP periods (whole London days) and
 * standing-order runs (the same London wall-clock time on each run's date) both count in it, so a
 * payment due "at 09:00 on the 1st" runs at 09:00 on the London clock in winter and in summer alike.
 */

const LONDON = 'Europe/London';
const londonParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: LONDON,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** A date on the London calendar (month 1-12). */
export interface LocalDate {
  y: number;
  m: number;
  d: number;
}

function partsOf(at: Date): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of londonParts.formatToParts(at)) if (part.type !== 'literal') out[part.type] = Number(part.value);
  return out;
}

/** London's offset from UTC at an instant, in ms (0 in winter, 3,600,000 in summer time), from Intl. */
function offsetFromIntl(at: Date): number {
  const p = partsOf(at);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

// London's offset per UTC hour: the UK changes its clocks at 01:00 UTC, on the hour, so the offset holds
// for a whole UTC hour, and Intl (slow: every payment asks several times) is asked once per hour seen.
const HOUR_MS = 3_600_000;
const offsetsByHour = new Map<number, number>();

/** London's offset from UTC at an instant, in ms (0 in winter, 3,600,000 in summer time). */
function londonOffsetMs(at: Date): number {
  const hour = Math.floor(at.getTime() / HOUR_MS);
  let offset = offsetsByHour.get(hour);
  if (offset === undefined) {
    offset = offsetFromIntl(new Date(hour * HOUR_MS));
    if (offsetsByHour.size >= 100_000) offsetsByHour.clear();
    offsetsByHour.set(hour, offset);
  }
  return offset;
}

/** London's wall clock at an instant, as a UTC instant showing the same fields. */
function londonWallClock(at: Date): Date {
  return new Date(at.getTime() + londonOffsetMs(at));
}

export function londonDate(at: Date): LocalDate {
  const wall = londonWallClock(at);
  return { y: wall.getUTCFullYear(), m: wall.getUTCMonth() + 1, d: wall.getUTCDate() };
}

/**
 * The instant London's clocks show `timeOfDayMs` after midnight on `date`. A wall time the clocks skip
 * (01:00-02:00 on the last Sunday of March) is read with the winter offset, so it falls an hour later.
 */
export function londonWallTime(date: LocalDate, timeOfDayMs: number): Date {
  const wall = Date.UTC(date.y, date.m - 1, date.d) + timeOfDayMs;
  const first = wall - londonOffsetMs(new Date(wall));
  return new Date(wall - londonOffsetMs(new Date(first)));
}

/** The instant London's clocks show 00:00 on `date` (never in a DST gap: the UK changes at 01:00 UTC). */
export function londonMidnight(date: LocalDate): Date {
  return londonWallTime(date, 0);
}

/** How long after London midnight `at` is, on London's clock (09:30 -> 34,200,000). */
export function londonTimeOfDayMs(at: Date): number {
  const wall = londonWallClock(at).getTime();
  return wall - Math.floor(wall / 86_400_000) * 86_400_000;
}

function fromUtcDay(ms: number): LocalDate {
  const at = new Date(ms);
  return { y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate() };
}

export function dayNumber(date: LocalDate): number {
  return Date.UTC(date.y, date.m - 1, date.d) / 86_400_000;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return fromUtcDay(Date.UTC(date.y, date.m - 1, date.d + days));
}

/** `months` after `date`, on `day` or the month's last day if it is shorter (31 Jan + 1 month = 28/29 Feb). */
export function addMonths(date: LocalDate, months: number, day: number): LocalDate {
  const index = date.y * 12 + (date.m - 1) + months;
  const y = Math.floor(index / 12);
  const m = index - y * 12 + 1;
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { y, m, d: Math.min(day, last) };
}

export function compare(a: LocalDate, b: LocalDate): number {
  return dayNumber(a) - dayNumber(b);
}
