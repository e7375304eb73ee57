/**
 * The one place for a standing order's Frequency (UK OB v4.0 Initiation.MandateRelatedInformation.Frequency)
 * and its schedule: which codes the bank runs, and when each run falls due. The API refuses the others
 * with 400 U025 at consent creation; the worker asks `standingOrderRun` for each run's date and amount.
 */

import { addDays, addMonths, londonDate, londonTimeOfDayMs, londonWallTime } from './london-calendar.js';
import { amountUnits } from './vrp-control-parameters.js';

/** Every OBFrequency6Code value the v4.0 payment-initiation spec lists (WEEK appears twice there). */
export const OB_FREQUENCY6_CODES = [
  'ADHO',
  'YEAR',
  'DAIL',
  'FRTN',
  'INDA',
  'MNTH',
  'QURT',
  'MIAN',
  'WEEK',
  'WODL',
  'FOWK',
  'TWMH',
  'FOMH',
  'FIMH',
  'ALMH',
  'NONE',
] as const;

export type ObFrequency6Code = (typeof OB_FREQUENCY6_CODES)[number];

/** How far apart two runs are, for the codes the bank runs. */
const STEPS = {
  DAIL: { days: 1 },
  WEEK: { days: 7 },
  FRTN: { days: 14 },
  MNTH: { months: 1 },
  QURT: { months: 3 },
  MIAN: { months: 6 },
  YEAR: { months: 12 },
} as const satisfies Record<string, { days: number } | { months: number }>;

export type StandingOrderFrequency = keyof typeof STEPS;

// Refused, and why: ADHO (ad hoc) and NONE have no next run; INDA (intraday) is not a calendar period;
// WODL, FOWK, TWMH, FOMH, FIMH and ALMH have no published definition in the OB codeset the spec links to,
// and a PSU must never approve a schedule the bank would have to guess. The Frequency_1 patterns
// (EvryDay, IntrvlWkDay:01:03, ...) are not run yet either.

/** The Frequency.Type as the bank runs it, or null when it does not (the API answers 400 U025). */
export function parseStandingOrderFrequency(type: string): StandingOrderFrequency | null {
  return Object.hasOwn(STEPS, type) ? (type as StandingOrderFrequency) : null;
}

/**
 * The `n`th run (0 = the anchor itself) of a schedule anchored at `anchor`, on the bank's calendar
 * (Europe/London): the same London wall-clock time as the anchor, `n` periods later. Counted from the
 * anchor, never from the previous run, so a monthly order from 31 January runs 28/29 February, then
 * 31 March (no drift), and a 09:00 order stays at 09:00 on the London clock across summer time.
 */
export function standingOrderRunDate(anchor: Date, frequency: StandingOrderFrequency, n: number): Date {
  const step: { days?: number; months?: number } = STEPS[frequency];
  const day = londonDate(anchor);
  const date = step.days ? addDays(day, n * step.days) : addMonths(day, n * (step.months ?? 0), day.d);
  return londonWallTime(date, londonTimeOfDayMs(anchor));
}

/** The first run strictly after `after` of the schedule anchored at `anchor` (the anchor, if it is later). */
export function nextStandingOrderRunAfter(anchor: Date, frequency: StandingOrderFrequency, after: Date): Date {
  let n = 0;
  while (standingOrderRunDate(anchor, frequency, n).getTime() <= after.getTime()) n += 1;
  return standingOrderRunDate(anchor, frequency, n);
}

/** What a standing order's Initiation says about its runs, read once from the stored JSON. */
export interface StandingOrderSchedule {
  frequency: StandingOrderFrequency;
  first: { at: Date; amount: string; currency: string };
  /** The anchor of the recurring runs: RecurringPaymentDateTime, else the first run's date. */
  recurringFrom: Date | null;
  recurringAmount: string | null;
  finalAmount: string | null;
  finalAt: Date | null;
  numberOfPayments: number | null;
}

/**
 * The most one run of the order pays: the largest of its first, recurring and final amounts, each of which
 * some run pays (readStandingOrderSchedule refuses terms no run pays). The PSU's threshold alert compares it.
 */
export function largestRunAmount(schedule: StandingOrderSchedule): string {
  return [schedule.recurringAmount, schedule.finalAmount].reduce<string>((most, amount) => (amount !== null && amountUnits(amount) > amountUnits(most) ? amount : most), schedule.first.amount);
}

/** The run number `index` (0 = the first payment): its due date and amount, or null when the order has ended before it. */
export function standingOrderRun(schedule: StandingOrderSchedule, index: number): { dueAt: Date; amount: string } | null {
  if (schedule.numberOfPayments !== null && index >= schedule.numberOfPayments) return null;
  if (index === 0) return { dueAt: schedule.first.at, amount: schedule.first.amount };
  // With a RecurringPaymentDateTime, run 1 is that date; without one, run 1 is one period after the first.
  const dueAt = schedule.recurringFrom
    ? standingOrderRunDate(schedule.recurringFrom, schedule.frequency, index - 1)
    : standingOrderRunDate(schedule.first.at, schedule.frequency, index);
  if (schedule.finalAt && dueAt.getTime() > schedule.finalAt.getTime()) return null;
  const isLast =
    (schedule.numberOfPayments !== null && index === schedule.numberOfPayments - 1) ||
    (schedule.finalAt !== null && standingOrderNextAfterIsPastFinal(schedule, dueAt, index));
  const amount = isLast && schedule.finalAmount ? schedule.finalAmount : (schedule.recurringAmount ?? schedule.first.amount);
  return { dueAt, amount };
}

/**
 * The order's last run (its date and amount): by NumberOfPayments, or the last run on or before
 * FinalPaymentDateTime, found in O(log n) of standingOrderRun (a daily order may make thousands); null for
 * an order without an end. AIS shows its date as FinalPaymentDateTime, the day the final payment is made
 * (OBMandateRelatedInformation1), not the TPP's bound, which no run may fall on.
 */
export function lastStandingOrderRun(schedule: StandingOrderSchedule): { dueAt: Date; amount: string } | null {
  if (schedule.numberOfPayments !== null) return standingOrderRun(schedule, schedule.numberOfPayments - 1);
  if (schedule.finalAt === null) return null;
  // Run 0 is on or before the final date (readStandingOrderSchedule refuses a final date before the
  // first); widen until a run falls after it, then halve: `found` has a run, `past` has none.
  let found = 0;
  let past = 1;
  while (standingOrderRun(schedule, past) !== null) {
    found = past;
    past *= 2;
  }
  while (past - found > 1) {
    const middle = Math.floor((found + past) / 2);
    if (standingOrderRun(schedule, middle) === null) past = middle;
    else found = middle;
  }
  return standingOrderRun(schedule, found);
}

function standingOrderNextAfterIsPastFinal(schedule: StandingOrderSchedule, dueAt: Date, index: number): boolean {
  const next = schedule.recurringFrom
    ? standingOrderRunDate(schedule.recurringFrom, schedule.frequency, index)
    : standingOrderRunDate(schedule.first.at, schedule.frequency, index + 1);
  return dueAt.getTime() <= schedule.finalAt!.getTime() && next.getTime() > schedule.finalAt!.getTime();
}

/** Why a standing order Initiation cannot be run: `frequency` is 400 U025, `invalid` 400 U002, both with the Path. */
export interface StandingOrderProblem {
  kind: 'frequency' | 'invalid';
  message: string;
  path: string;
}

const MANDATE = 'Data.Initiation.MandateRelatedInformation';

function money(value: unknown): { amount: string; currency: string } | null {
  if (value === null || typeof value !== 'object') return null;
  const { Amount, Currency } = value as Record<string, unknown>;
  return typeof Amount === 'string' && typeof Currency === 'string' ? { amount: Amount, currency: Currency } : null;
}

function instant(value: unknown): Date | null {
  return typeof value === 'string' ? new Date(value) : null;
}

/**
 * A standing order Initiation (shape already validated against the spec) as the schedule the worker runs,
 * or the first rule it breaks: a Frequency the bank does not run, a zero amount, amounts in several
 * currencies, dates out of order, both or a malformed NumberOfPayments, or terms no run would pay (a
 * recurring or final payment in an order of one payment, a recurring one in an order of two with a final
 * amount, however the end is given; a final amount in an order with no end).
 */
export function readStandingOrderSchedule(initiation: Record<string, unknown>): { schedule: StandingOrderSchedule } | { problem: StandingOrderProblem } {
  const mandate = (initiation.MandateRelatedInformation ?? {}) as Record<string, unknown>;
  const type = ((mandate.Frequency ?? {}) as Record<string, unknown>).Type;
  const frequency = typeof type === 'string' ? parseStandingOrderFrequency(type) : null;
  if (!frequency) return { problem: { kind: 'frequency', message: `Frequency ${String(type)} is not supported`, path: `${MANDATE}.Frequency.Type` } };

  const first = money(initiation.FirstPaymentAmount);
  const recurring = money(initiation.RecurringPaymentAmount);
  const final = money(initiation.FinalPaymentAmount);
  const amounts: Array<[string, { amount: string; currency: string } | null]> = [
    ['FirstPaymentAmount', first],
    ['RecurringPaymentAmount', recurring],
    ['FinalPaymentAmount', final],
  ];
  for (const [name, value] of amounts) {
    if (!value) continue;
    const path = `Data.Initiation.${name}`;
    if (!(Number(value.amount) > 0)) return { problem: { kind: 'invalid', message: `${name}.Amount must be more than zero`, path: `${path}.Amount` } };
    if (value.currency !== first!.currency) return { problem: { kind: 'invalid', message: `${name} must be in ${first!.currency}`, path: `${path}.Currency` } };
  }

  const firstAt = instant(mandate.FirstPaymentDateTime)!;
  const recurringFrom = instant(mandate.RecurringPaymentDateTime);
  const finalAt = instant(mandate.FinalPaymentDateTime);
  if (recurringFrom && recurringFrom.getTime() <= firstAt.getTime()) {
    return { problem: { kind: 'invalid', message: 'RecurringPaymentDateTime must be after FirstPaymentDateTime', path: `${MANDATE}.RecurringPaymentDateTime` } };
  }
  if (finalAt && finalAt.getTime() < firstAt.getTime()) {
    return { problem: { kind: 'invalid', message: 'FinalPaymentDateTime must not be before FirstPaymentDateTime', path: `${MANDATE}.FinalPaymentDateTime` } };
  }
  // Recurring runs that start after the final date never run: the PSU would approve recurring and final
  // payments of which only the first is ever made.
  if (recurringFrom && finalAt && recurringFrom.getTime() > finalAt.getTime()) {
    return { problem: { kind: 'invalid', message: 'RecurringPaymentDateTime must not be after FinalPaymentDateTime', path: `${MANDATE}.RecurringPaymentDateTime` } };
  }
  const count = initiation.NumberOfPayments;
  if (count !== undefined && (typeof count !== 'string' || !/^[1-9]\d{0,3}$/.test(count))) {
    return { problem: { kind: 'invalid', message: 'NumberOfPayments must be a whole number from 1 to 9999', path: 'Data.Initiation.NumberOfPayments' } };
  }
  if (count !== undefined && finalAt) {
    return { problem: { kind: 'invalid', message: 'Give NumberOfPayments or FinalPaymentDateTime, not both', path: 'Data.Initiation.NumberOfPayments' } };
  }
  if (final && count === undefined && !finalAt) {
    return { problem: { kind: 'invalid', message: 'FinalPaymentAmount needs an end: NumberOfPayments or FinalPaymentDateTime', path: 'Data.Initiation.FinalPaymentAmount' } };
  }
  const schedule: StandingOrderSchedule = {
    frequency,
    first: { at: firstAt, amount: first!.amount, currency: first!.currency },
    recurringFrom,
    recurringAmount: recurring?.amount ?? null,
    finalAmount: final?.amount ?? null,
    finalAt,
    numberOfPayments: count === undefined ? null : Number(count),
  };
  // Terms the PSU would approve but no run ever pays (shown on the approval page, so refused), by the runs
  // the order makes, however its end is given: an order of one payment pays only its first; one of two
  // with a FinalPaymentAmount pays the first and the final, never a recurring one. Until 7 December 2026
  // only NumberOfPayments "1" was caught: a FinalPaymentDateTime before the second run was accepted with
  // recurring and final amounts, and the order ran once.
  const runs = [0, 1, 2].filter((index) => standingOrderRun(schedule, index) !== null).length;
  if (runs === 1) {
    const never = recurring ? 'RecurringPaymentAmount' : final ? 'FinalPaymentAmount' : recurringFrom ? 'MandateRelatedInformation.RecurringPaymentDateTime' : null;
    if (never) return { problem: { kind: 'invalid', message: `An order of one payment pays its FirstPaymentAmount only: ${never.split('.').pop()} would never be paid`, path: `Data.Initiation.${never}` } };
  }
  if (runs === 2 && recurring && final) {
    return {
      problem: { kind: 'invalid', message: 'An order of two payments pays its FirstPaymentAmount and FinalPaymentAmount: RecurringPaymentAmount would never be paid', path: 'Data.Initiation.RecurringPaymentAmount' },
    };
  }
  return { schedule };
}
