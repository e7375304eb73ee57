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

  it('leaves other zones, BC dates and infinity to pg', () => {
    for (const value of ['2026-11-25 18:28:51.967893+05:30', '2026-11-25 18:28:51-03', '2026-11-25 18:28:51+00 BC', 'infinity', '-infinity', '12026-11-25 18:28:51+00', '0050-01-01 00:00:00+00']) {
      expect(parseTimestamptz(value), value).toEqual(pgParse(value));
    }
  });
});
