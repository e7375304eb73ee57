import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const parseTimestamptzDefault = pg.types.getTypeParser(TIMESTAMPTZ_OID) as (value: string) => unknown;

function digits(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1-12): H. Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * timestamptz as our sessions print it (ISO DateStyle, TimeZone UTC): `YYYY-MM-DD HH:MM:SS[.ffffff]+00`
 * for years 1000-9999, read without a regular expression, a substring or Date.UTC; anything else
 * (other zones, BC, infinity, other years) goes to pg's own parser. The same Date either way, to the
 * millisecond (microseconds are truncated, as pg does).
 */
export function parseTimestamptz(value: string): unknown {
  const length = value.length;
  if (
    length >= 22 &&
    value.charCodeAt(4) === 45 &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 32 &&
    value.charCodeAt(13) === 58 &&
    value.charCodeAt(16) === 58 &&
    value.endsWith('+00') &&
    (length === 22 || (length >= 24 && length <= 29 && value.charCodeAt(19) === 46))
  ) {
    const year = digits(value, 0, 4);
    // Fraction digits run from 20 to length - 3; the first three are the milliseconds.
    const fractionEnd = length - 3;
    const ms =
      length === 22
        ? 0
        : digits(value, 20, 21) * 100 + (fractionEnd > 21 ? digits(value, 21, 22) * 10 : 0) + (fractionEnd > 22 ? digits(value, 22, 23) : 0);
    const fractionRest = fractionEnd > 23 ? digits(value, 23, fractionEnd) : 0;
    const time =
      daysFromCivil(year, digits(value, 5, 7), digits(value, 8, 10)) * MS_PER_DAY +
      digits(value, 11, 13) * 3_600_000 +
      digits(value, 14, 16) * 60_000 +
      digits(value, 17, 19) * 1000 +
      ms;
    if (year >= 1000 && !Number.isNaN(time + fractionRest)) return new Date(time);
  }
  return parseTimestamptzDefault(value);
}

let installed = false;

/** Installs the fast timestamptz parser for every pg client of this process (idempotent). */
export function installTimestampParsing(): void {
  if (installed) return;
  installed = true;
  pg.types.setTypeParser(TIMESTAMPTZ_OID, parseTimestamptz);
}
