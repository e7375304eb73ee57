import fc from 'fast-check';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { parseTimestamptz } from './timestamp-parsing.js';

const pgParse = pg.types.getTypeParser(1184) as (value: string) => Date | number | null;

describe('parseTimestamptz', () => {
  it('reads UTC timestamps exactly as pg does, to the millisecond', () => {
    for (const value of [
      '2026-11-25 18:28:51.967893+00',
      '2026-11-25 18:28:51.9+00',
      '2026-11-25 18:28:51.96+00',
      '2026-11-25 18:28:51.967+00',
      '2026-11-25 18:28:51+00',
      '2024-02-29 00:00:00.000001+00',
      '1970-01-01 00:00:00+00',
      '0999-12-31 23:59:59.999999+00',
    ]) {
      expect((parseTimestamptz(value) as Date).toISOString(), value).toBe((pgParse(value) as Date).toISOString());
    }
  });

  it('agrees with pg on any UTC timestamp PostgreSQL can print, 1000-9999', () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), noInvalidDate: true }),
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 6 }),
        (date, micros, fractionDigits) => {
          const iso = date.toISOString();
          const fraction = `${iso.slice(20, 23)}${pad(micros, 3)}`.slice(0, fractionDigits).replace(/0+$/, '');
          const value = `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''}+00`;
          expect((parseTimestamptz(value) as Date).getTime(), value).toBe((pgParse(value) as Date).getTime());
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves other zones, BC dates and infinity to pg', () => {
    for (const value of ['2026-11-25 18:28:51.967893+05:30', '2026-11-25 18:28:51-03', '2026-11-25 18:28:51+00 BC', 'infinity', '-infinity', '12026-11-25 18:28:51+00', '0050-01-01 00:00:00+00', '2026-11-25 18:28:51.+00', '2026-11-25T18:28:51+00']) {
      expect(parseTimestamptz(value), value).toEqual(pgParse(value));
    }
  });
});
