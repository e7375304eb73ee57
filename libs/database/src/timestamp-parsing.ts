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

/**
 * timestamptz as our sessions print it (ISO DateStyle, TimeZone UTC): `YYYY-MM-DD HH:MM:SS[.ffffff]+00`,
 * read without a regular expression; anything else (other zones, BC, infinity) goes to pg's own parser.
 * The same Date either way, to the millisecond.
 */
export function parseTimestamptz(value: string): unknown {
  const length = value.length;
  if (length >= 22 && value.charCodeAt(10) === 32 && value.endsWith('+00') && (length === 22 || value.charCodeAt(19) === 46)) {
    const ms = length === 22 ? 0 : digits((value.slice(20, length - 3) + '00').slice(0, 3), 0, 3);
    const year = digits(value, 0, 4);
    // Date.UTC reads years 0-99 as 1900-1999.
    const time = year < 100 ? NaN : Date.UTC(
      year,
      digits(value, 5, 7) - 1,
      digits(value, 8, 10),
      digits(value, 11, 13),
      digits(value, 14, 16),
      digits(value, 17, 19),
      ms,
    );
    if (!Number.isNaN(time) && value.charCodeAt(4) === 45 && value.charCodeAt(7) === 45) return new Date(time);
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
