import { describe, expect, it } from 'vitest';

import {
  largestRunAmount,
  lastStandingOrderRun,
  nextStandingOrderRunAfter,
  OB_FREQUENCY6_CODES,
  parseStandingOrderFrequency,
  readStandingOrderSchedule,
  standingOrderRun,
  standingOrderRunDate,
  StandingOrderSchedule,
} from './standing-order-frequency.js';

const ANCHOR = new Date('2026-01-31T09:00:00Z');

// Each OBFrequency6Code the spec lists: the date of run 1 and run 2 after ANCHOR (09:00 in London), or null when
// refused (U025). Runs in British Summer Time are 08:00Z: 09:00 on the London clock.
const EXPECTED: Record<(typeof OB_FREQUENCY6_CODES)[number], [string, string] | null> = {
  ADHO: null,
  YEAR: ['2027-01-31T09:00:00.000Z', '2028-01-31T09:00:00.000Z'],
  DAIL: ['2026-02-01T09:00:00.000Z', '2026-02-02T09:00:00.000Z'],
  FRTN: ['2026-02-14T09:00:00.000Z', '2026-02-28T09:00:00.000Z'],
  INDA: null,
  MNTH: ['2026-02-28T09:00:00.000Z', '2026-03-31T08:00:00.000Z'],
  QURT: ['2026-04-30T08:00:00.000Z', '2026-07-31T08:00:00.000Z'],
  MIAN: ['2026-07-31T08:00:00.000Z', '2027-01-31T09:00:00.000Z'],
  WEEK: ['2026-02-07T09:00:00.000Z', '2026-02-14T09:00:00.000Z'],
  WODL: null,
  FOWK: null,
  TWMH: null,
  FOMH: null,
  FIMH: null,
  ALMH: null,
  NONE: null,
};

describe('standing order frequency', () => {
  it.each(OB_FREQUENCY6_CODES.map((code) => [code]))('runs %s on its calendar or refuses it', (code) => {
    const frequency = parseStandingOrderFrequency(code);
    const expected = EXPECTED[code];
    if (expected === null) {
      expect(frequency).toBeNull();
      return;
    }
    expect(frequency).toBe(code);
    expect(standingOrderRunDate(ANCHOR, frequency!, 0).toISOString()).toBe(ANCHOR.toISOString());
    expect([standingOrderRunDate(ANCHOR, frequency!, 1).toISOString(), standingOrderRunDate(ANCHOR, frequency!, 2).toISOString()]).toEqual(expected);
  });

  it('refuses the Frequency_1 patterns and anything else', () => {
    for (const type of ['EvryDay', 'IntrvlWkDay:01:03', 'toString', '', 'mnth']) expect(parseStandingOrderFrequency(type)).toBeNull();
  });

  it('counts months from the anchor, so a short month does not drift the day', () => {
    expect(standingOrderRunDate(new Date('2028-01-31T00:00:00Z'), 'MNTH', 1).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(standingOrderRunDate(new Date('2026-11-30T00:00:00Z'), 'QURT', 1).toISOString()).toBe('2027-02-28T00:00:00.000Z');
  });

  it('keeps the London wall-clock time across summer time, both ways', () => {
    // 09:00 London on Friday 27 March 2026 (GMT); summer time starts on Sunday 29 March.
    const friday = new Date('2026-03-27T09:00:00Z');
    expect(standingOrderRunDate(friday, 'DAIL', 3).toISOString()).toBe('2026-03-30T08:00:00.000Z');
    expect(standingOrderRunDate(friday, 'WEEK', 1).toISOString()).toBe('2026-04-03T08:00:00.000Z');
    // 23:30 London on 30 September 2026 (22:30Z, BST): a month later is 23:30 London on 30 October, GMT again.
    expect(standingOrderRunDate(new Date('2026-09-30T22:30:00Z'), 'MNTH', 1).toISOString()).toBe('2026-10-30T23:30:00.000Z');
    // The London date counts, not the UTC one: 00:30 London on 1 July is 30 June 23:30Z.
    expect(standingOrderRunDate(new Date('2026-06-30T23:30:00Z'), 'MNTH', 1).toISOString()).toBe('2026-07-31T23:30:00.000Z');
    // A wall time summer time skips (01:30 on 29 March) falls an hour later on the clock.
    expect(standingOrderRunDate(new Date('2026-03-28T01:30:00Z'), 'DAIL', 1).toISOString()).toBe('2026-03-29T01:30:00.000Z');
  });

  it('finds the next run strictly after an instant', () => {
    expect(nextStandingOrderRunAfter(ANCHOR, 'WEEK', new Date('2026-01-01T00:00:00Z')).toISOString()).toBe(ANCHOR.toISOString());
    expect(nextStandingOrderRunAfter(ANCHOR, 'WEEK', ANCHOR).toISOString()).toBe('2026-02-07T09:00:00.000Z');
  });

  describe('runs of a schedule', () => {
    const base: StandingOrderSchedule = {
      frequency: 'MNTH',
      first: { at: new Date('2026-01-15T08:00:00Z'), amount: '50.00', currency: 'GBP' },
      recurringFrom: null,
      recurringAmount: '20.00',
      finalAmount: '5.00',
      finalAt: null,
      numberOfPayments: 3,
    };

    it('pays the first, recurring and final amounts, and stops after NumberOfPayments', () => {
      expect([0, 1, 2, 3].map((i) => standingOrderRun(base, i))).toEqual([
        { dueAt: new Date('2026-01-15T08:00:00Z'), amount: '50.00' },
        { dueAt: new Date('2026-02-15T08:00:00Z'), amount: '20.00' },
        { dueAt: new Date('2026-03-15T08:00:00Z'), amount: '5.00' },
        null,
      ]);
    });

    it('anchors recurring runs on RecurringPaymentDateTime and stops after FinalPaymentDateTime', () => {
      const schedule: StandingOrderSchedule = {
        ...base,
        frequency: 'WEEK',
        numberOfPayments: null,
        recurringFrom: new Date('2026-01-20T08:00:00Z'),
        finalAt: new Date('2026-01-27T08:00:00Z'),
      };
      expect([0, 1, 2, 3].map((i) => standingOrderRun(schedule, i))).toEqual([
        { dueAt: new Date('2026-01-15T08:00:00Z'), amount: '50.00' },
        { dueAt: new Date('2026-01-20T08:00:00Z'), amount: '20.00' },
        { dueAt: new Date('2026-01-27T08:00:00Z'), amount: '5.00' },
        null,
      ]);
    });

    it('finds the last run, the one a final date ends on or before, as walking every run does', () => {
      // Every frequency the bank runs, each end from the first run's day to years later: the search's
      // answer is the walk's last run (a FinalPaymentDateTime between runs is not a run's date).
      const frequencies = OB_FREQUENCY6_CODES.flatMap((code) => parseStandingOrderFrequency(code) ?? []);
      for (const frequency of frequencies) {
        for (const days of [0, 1, 6, 13, 29, 45, 100, 366, 800, 2000]) {
          const schedule: StandingOrderSchedule = { ...base, frequency, numberOfPayments: null, finalAt: new Date(base.first.at.getTime() + days * 86_400_000 + 3_600_000) };
          let walked = 0;
          while (standingOrderRun(schedule, walked + 1) !== null) walked += 1;
          expect(lastStandingOrderRun(schedule), `${frequency}, ${days} days`).toEqual(standingOrderRun(schedule, walked));
          expect(lastStandingOrderRun(schedule)!.dueAt.getTime()).toBeLessThanOrEqual(schedule.finalAt!.getTime());
        }
      }
      expect(lastStandingOrderRun(base)).toEqual({ dueAt: new Date('2026-03-15T08:00:00Z'), amount: '5.00' });
      expect(lastStandingOrderRun({ ...base, numberOfPayments: null })).toBeNull();
    });
  });

  describe('terms no run would pay', () => {
    const order = (initiation: Record<string, unknown>, mandate: Record<string, unknown> = {}): Record<string, unknown> => ({
      FirstPaymentAmount: { Amount: '100.00', Currency: 'GBP' },
      ...initiation,
      MandateRelatedInformation: { Frequency: { Type: 'MNTH' }, FirstPaymentDateTime: '2031-01-05T09:00:00+00:00', ...mandate },
    });
    const problem = (initiation: Record<string, unknown>): unknown => {
      const read = readStandingOrderSchedule(initiation);
      return 'problem' in read ? read.problem.path : null;
    };

    it('refuses recurring or final terms in an order of one payment, and a final amount in an order with no end', () => {
      // Until 7 December 2026 each was accepted: the approval page showed payments the worker never made.
      expect(problem(order({ NumberOfPayments: '1', RecurringPaymentAmount: { Amount: '50.00', Currency: 'GBP' } }))).toBe('Data.Initiation.RecurringPaymentAmount');
      expect(problem(order({ NumberOfPayments: '1', FinalPaymentAmount: { Amount: '10.00', Currency: 'GBP' } }))).toBe('Data.Initiation.FinalPaymentAmount');
      expect(problem(order({ NumberOfPayments: '1' }, { RecurringPaymentDateTime: '2031-02-05T09:00:00+00:00' }))).toBe('Data.Initiation.MandateRelatedInformation.RecurringPaymentDateTime');
      expect(problem(order({ FinalPaymentAmount: { Amount: '10.00', Currency: 'GBP' } }))).toBe('Data.Initiation.FinalPaymentAmount');
    });

    it('counts the runs however the end is given: a FinalPaymentDateTime before the second run makes an order of one payment, before the third one of two', () => {
      const recurringAmount = { RecurringPaymentAmount: { Amount: '20.00', Currency: 'GBP' } };
      const finalAmount = { FinalPaymentAmount: { Amount: '999.00', Currency: 'GBP' } };
      // Until 7 December 2026 these were accepted, and the order ran once (or paid no recurring amount).
      expect(problem(order({ ...recurringAmount, ...finalAmount }, { FinalPaymentDateTime: '2031-01-05T09:00:00+00:00' }))).toBe('Data.Initiation.RecurringPaymentAmount');
      expect(problem(order(finalAmount, { FinalPaymentDateTime: '2031-02-04T09:00:00+00:00' }))).toBe('Data.Initiation.FinalPaymentAmount');
      expect(problem(order({ ...recurringAmount, ...finalAmount }, { FinalPaymentDateTime: '2031-02-05T09:00:00+00:00' }))).toBe('Data.Initiation.RecurringPaymentAmount');
      expect(problem(order({ NumberOfPayments: '2', ...recurringAmount, ...finalAmount }))).toBe('Data.Initiation.RecurringPaymentAmount');
      // A RecurringPaymentDateTime on or before the final date makes a second run.
      expect(problem(order(finalAmount, { RecurringPaymentDateTime: '2031-01-20T09:00:00+00:00', FinalPaymentDateTime: '2031-01-20T09:00:00+00:00' }))).toBeNull();
      // One run and nothing more promised: taken.
      expect(problem(order({}, { FinalPaymentDateTime: '2031-01-05T09:00:00+00:00' }))).toBeNull();
      expect(problem(order({ ...recurringAmount, ...finalAmount }, { FinalPaymentDateTime: '2031-03-05T09:00:00+00:00' }))).toBeNull();
    });

    it('gives the most one run pays, for the PSU’s threshold alert: a token first payment is not the order’s size', () => {
      const read = (initiation: Record<string, unknown>): string => {
        const schedule = readStandingOrderSchedule(initiation);
        if (!('schedule' in schedule)) throw new Error(JSON.stringify(schedule.problem));
        return largestRunAmount(schedule.schedule);
      };
      expect(read(order({ NumberOfPayments: '10', FirstPaymentAmount: { Amount: '1.00', Currency: 'GBP' }, RecurringPaymentAmount: { Amount: '5000.00', Currency: 'GBP' }, FinalPaymentAmount: { Amount: '10.00', Currency: 'GBP' } }))).toBe('5000.00');
      expect(read(order({ NumberOfPayments: '3', RecurringPaymentAmount: { Amount: '20.00', Currency: 'GBP' }, FinalPaymentAmount: { Amount: '100.00001', Currency: 'GBP' } }))).toBe('100.00001');
      expect(read(order({ RecurringPaymentAmount: { Amount: '99.99', Currency: 'GBP' } }))).toBe('100.00');
    });

    it('accepts the terms every run pays', () => {
      expect(problem(order({ NumberOfPayments: '1' }))).toBeNull();
      expect(problem(order({}))).toBeNull();
      expect(problem(order({ RecurringPaymentAmount: { Amount: '50.00', Currency: 'GBP' } }))).toBeNull();
      expect(problem(order({ NumberOfPayments: '2', FinalPaymentAmount: { Amount: '10.00', Currency: 'GBP' } }))).toBeNull();
      expect(problem(order({ FinalPaymentAmount: { Amount: '10.00', Currency: 'GBP' } }, { FinalPaymentDateTime: '2031-06-05T09:00:00+00:00' }))).toBeNull();
    });
  });
});
