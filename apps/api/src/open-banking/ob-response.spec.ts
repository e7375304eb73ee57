import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { obDateTime } from './ob-response.js';

describe('obDateTime', () => {
  it('writes exactly what Date#toISOString writes', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(-2000, 0, 1)), max: new Date(Date.UTC(12000, 0, 1)), noInvalidDate: true }), (date) => {
        expect(obDateTime(date)).toBe(date.toISOString());
      }),
      { numRuns: 2000 },
    );
    for (const edge of [Date.UTC(999, 11, 31, 23, 59, 59, 999), Date.UTC(1000, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), 0]) {
      expect(obDateTime(new Date(edge))).toBe(new Date(edge).toISOString());
    }
    expect(() => obDateTime(new Date(Number.NaN))).toThrow(RangeError);
  });
});
