import { describe, expect, it } from 'vitest';

import { londonDate, londonMidnight, londonTimeOfDayMs } from './london-calendar.js';

// What Intl says London's clock shows at an instant: the reference the per-hour offset cache must match.
const intl = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
function clock(at: Date): { y: number; m: number; d: number; ms: number } {
  const p = Object.fromEntries(intl.formatToParts(at).filter((part) => part.type !== 'literal').map((part) => [part.type, Number(part.value)]));
  return { y: p.year!, m: p.month!, d: p.day!, ms: ((p.hour! * 60 + p.minute!) * 60 + p.second!) * 1000 + (at.getTime() % 1000) };
}

describe('the London calendar', () => {
  it('reads the date and time of day as Intl does, at random instants and on both sides of every clock change 2020-2035', () => {
    const instants: Date[] = [];
    let seed = 7;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = 0; i < 5000; i += 1) instants.push(new Date(Date.UTC(2020, 0, 1) + Math.floor(random() * 16 * 365 * 86_400_000)));
    for (let y = 2020; y <= 2035; y += 1) {
      for (const month of [2, 9]) {
        // The last Sunday of March and of October, 01:00 UTC.
        const last = new Date(Date.UTC(y, month + 1, 0));
        const change = Date.UTC(y, month, last.getUTCDate() - last.getUTCDay(), 1);
        for (const delta of [-3_600_001, -1, 0, 1, 1_800_000, 3_599_999, 3_600_000]) instants.push(new Date(change + delta));
      }
    }
    for (const at of instants) {
      const expected = clock(at);
      expect({ ...londonDate(at), ms: londonTimeOfDayMs(at) }, at.toISOString()).toEqual(expected);
    }
  });

  it('puts London midnight at 00:00 GMT in winter and 23:00 UTC the day before in summer', () => {
    expect(londonMidnight({ y: 2026, m: 1, d: 15 }).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(londonMidnight({ y: 2026, m: 7, d: 2 }).toISOString()).toBe('2026-07-01T23:00:00.000Z');
    expect(londonMidnight({ y: 2026, m: 3, d: 29 }).toISOString()).toBe('2026-03-29T00:00:00.000Z');
    expect(londonMidnight({ y: 2026, m: 10, d: 25 }).toISOString()).toBe('2026-10-24T23:00:00.000Z');
  });
});
