/**
 * UK OB v4.0 VRP ControlParameters: the one place their rules live. A VRP consent's ControlParameters
 * bound every payment made under it (400 U014 UK.OBIE.Rules.FailsControlParameters when one is broken):
 *
 * - the validity window: ValidFromDateTime <= now < ValidToDateTime (either end optional);
 * - VRPType: the payment's type is one the consent lists; a Sweeping payment goes to an account of the PSU;
 * - MaximumIndividualAmount: no single payment above it, and in its currency;
 * - PeriodicLimits: per period (Day, Week, Fortnight, Month, Half-year, Year), the payments counted in
 *   the period plus this one stay within the limit. Periods are whole days in Europe/London: aligned to
 *   the calendar (Monday weeks, calendar months, Jan-Jun/Jul-Dec halves, calendar years) or to the date
 *   the consent was created (Fortnight only so: the ISO calendar has no fortnights).
 *
 * The functions here are pure; the caller holds the consent row's lock while it reads the payments
 * counted and writes the new one, so concurrent payments are checked one after the other.
 */

import { addDays, addMonths, compare, dayNumber, LocalDate, londonDate, londonMidnight } from './london-calendar.js';

export const VRP_PERIOD_TYPES = ['Day', 'Week', 'Fortnight', 'Month', 'Half-year', 'Year'] as const;
export type VrpPeriodType = (typeof VRP_PERIOD_TYPES)[number];
export const VRP_PERIOD_ALIGNMENTS = ['Consent', 'Calendar'] as const;
export type VrpPeriodAlignment = (typeof VRP_PERIOD_ALIGNMENTS)[number];
export const VRP_TYPES = ['UK.OBIE.VRPType.Sweeping', 'UK.OBIE.VRPType.Other'] as const;
export type VrpType = (typeof VRP_TYPES)[number];
/** The VRP type whose creditor must be one of the PSU's own accounts (the only check that needs to know). */
export const SWEEPING_VRP_TYPE: VrpType = 'UK.OBIE.VRPType.Sweeping';

export interface VrpPeriodicLimit {
  PeriodType: VrpPeriodType;
  PeriodAlignment: VrpPeriodAlignment;
  Amount: string;
  Currency: string;
}

/** OBDomesticVRPControlParameters, as stored with the consent. */
export interface VrpControlParameters {
  ValidFromDateTime?: string;
  ValidToDateTime?: string;
  MaximumIndividualAmount: { Amount: string; Currency: string };
  PeriodicLimits: VrpPeriodicLimit[];
  VRPType: string[];
  PSUAuthenticationMethods: string[];
  PSUInteractionTypes?: string[];
}

/** A rule a consent's ControlParameters or a payment breaks: the OB `Path` and a message for the TPP. */
export interface ControlParameterProblem {
  /** Which control parameter: recorded in the audit event of a refused VRP. */
  parameter: 'ValidFromDateTime' | 'ValidToDateTime' | 'VRPType' | 'MaximumIndividualAmount' | 'PeriodicLimits';
  path: string;
  message: string;
}

/** A half-open instant range [start, end). */
export interface VrpPeriod {
  start: Date;
  end: Date;
}

const PERIOD_DAYS: Partial<Record<VrpPeriodType, number>> = { Day: 1, Week: 7, Fortnight: 14 };
const PERIOD_MONTHS: Partial<Record<VrpPeriodType, number>> = { Month: 1, 'Half-year': 6, Year: 12 };

function period(from: LocalDate, to: LocalDate): VrpPeriod {
  return { start: londonMidnight(from), end: londonMidnight(to) };
}

/**
 * The period of `type` and `alignment` that holds the instant `at`. `consentCreatedAt` anchors
 * Consent-aligned periods: they start on the London date the consent was created and repeat from it.
 */
export function vrpPeriodAt(type: VrpPeriodType, alignment: VrpPeriodAlignment, consentCreatedAt: Date, at: Date): VrpPeriod {
  const today = londonDate(at);
  if (alignment === 'Calendar') {
    switch (type) {
      case 'Day':
        return period(today, addDays(today, 1));
      case 'Week': {
        // ISO weeks start on Monday.
        const monday = addDays(today, -((new Date(Date.UTC(today.y, today.m - 1, today.d)).getUTCDay() + 6) % 7));
        return period(monday, addDays(monday, 7));
      }
      case 'Month':
        return period({ y: today.y, m: today.m, d: 1 }, addMonths({ y: today.y, m: today.m, d: 1 }, 1, 1));
      case 'Half-year': {
        const first = { y: today.y, m: today.m <= 6 ? 1 : 7, d: 1 };
        return period(first, addMonths(first, 6, 1));
      }
      case 'Year':
        return period({ y: today.y, m: 1, d: 1 }, { y: today.y + 1, m: 1, d: 1 });
      case 'Fortnight':
        throw new RangeError('a Fortnight period is aligned to the consent, never to the calendar');
      default: {
        const unhandled: never = type;
        throw new RangeError(`unknown period type ${String(unhandled)}`);
      }
    }
  }
  const anchor = londonDate(consentCreatedAt);
  const days = PERIOD_DAYS[type];
  if (days !== undefined) {
    const k = Math.floor((dayNumber(today) - dayNumber(anchor)) / days);
    return period(addDays(anchor, k * days), addDays(anchor, (k + 1) * days));
  }
  const step = PERIOD_MONTHS[type]!;
  let k = Math.floor(((today.y - anchor.y) * 12 + (today.m - anchor.m)) / step);
  if (compare(addMonths(anchor, k * step, anchor.d), today) > 0) k -= 1;
  return period(addMonths(anchor, k * step, anchor.d), addMonths(anchor, (k + 1) * step, anchor.d));
}

// Amounts are decimal strings with at most 5 fraction digits (OBActiveCurrencyAndAmount_SimpleType):
// compared exactly as integers of 10^-5 units, never as floats.
const SCALE = 5;

/** An OB amount as an exact integer of 10^-5 units. */
export function amountUnits(amount: string): bigint {
  const [whole = '0', fraction = ''] = amount.split('.');
  return BigInt(whole) * 10n ** BigInt(SCALE) + BigInt((fraction + '0'.repeat(SCALE)).slice(0, SCALE));
}

/**
 * What is wrong with a consent's ControlParameters as a TPP sends them (400 U002/U003 at creation,
 * before anything is written): currencies that differ, a Fortnight aligned to the calendar, a zero limit,
 * a validity window that ends before it starts or, unless `now` is null, has already ended (the API asks
 * that last one after the idempotency key only, so that a replay gets its first answer whatever the time).
 */
export function controlParameterDefinitionProblems(params: VrpControlParameters, now: Date | null): Array<ControlParameterProblem & { errorCode: 'U002' | 'U003' }> {
  const problems: Array<ControlParameterProblem & { errorCode: 'U002' | 'U003' }> = [];
  const base = 'Data.ControlParameters';
  const currency = params.MaximumIndividualAmount.Currency;
  if (amountUnits(params.MaximumIndividualAmount.Amount) <= 0n) {
    problems.push({ parameter: 'MaximumIndividualAmount', path: `${base}.MaximumIndividualAmount.Amount`, message: 'must be more than zero', errorCode: 'U002' });
  }
  params.PeriodicLimits.forEach((limit, i) => {
    const path = `${base}.PeriodicLimits[${i}]`;
    if (limit.PeriodType === 'Fortnight' && limit.PeriodAlignment === 'Calendar') {
      problems.push({ parameter: 'PeriodicLimits', path: `${path}.PeriodAlignment`, message: 'a Fortnight must be aligned to the Consent', errorCode: 'U002' });
    }
    if (limit.Currency !== currency) {
      problems.push({ parameter: 'PeriodicLimits', path: `${path}.Currency`, message: 'must be the MaximumIndividualAmount currency', errorCode: 'U002' });
    }
    if (amountUnits(limit.Amount) <= 0n) {
      problems.push({ parameter: 'PeriodicLimits', path: `${path}.Amount`, message: 'must be more than zero', errorCode: 'U002' });
    }
  });
  const from = params.ValidFromDateTime ? obInstant(params.ValidFromDateTime) : null;
  const to = params.ValidToDateTime ? obInstant(params.ValidToDateTime) : null;
  if (to && from && to <= from) {
    problems.push({ parameter: 'ValidToDateTime', path: `${base}.ValidToDateTime`, message: 'must be after ValidFromDateTime', errorCode: 'U003' });
  } else if (to && now !== null && to <= now) {
    problems.push({ parameter: 'ValidToDateTime', path: `${base}.ValidToDateTime`, message: 'must be in the future', errorCode: 'U003' });
  }
  return problems;
}

/**
 * The instants that cut the periods holding `at` (one per PeriodicLimit) into disjoint slices: every start
 * and end of those periods, in order, each once. Slice i is [cuts[i], cuts[i + 1]). Each period is a run
 * of whole slices, so the sum of the payments counted in each slice, dated at the slice's start, stands in
 * for the payments themselves in checkVrpPayment's `counted`: the reader sums in the database instead of
 * reading every payment of the longest period. Empty when the consent has no PeriodicLimits.
 */
export function vrpPeriodCuts(params: VrpControlParameters, consentCreatedAt: Date, at: Date): Date[] {
  const cuts = new Set<number>();
  for (const limit of params.PeriodicLimits) {
    const { start, end } = vrpPeriodAt(limit.PeriodType, limit.PeriodAlignment, consentCreatedAt, at);
    cuts.add(start.getTime()).add(end.getTime());
  }
  return [...cuts].sort((a, b) => a - b).map((ms) => new Date(ms));
}

export interface VrpPaymentCheck {
  params: VrpControlParameters;
  consentCreatedAt: Date;
  /** When the payment is made. */
  at: Date;
  amount: string;
  currency: string;
  vrpType: string;
  /** A Sweeping payment's creditor is one of the PSU's own accounts. */
  creditorIsPsusOwn: boolean;
  /**
   * The consent's payments that count (not rejected) in the periods holding `at`: each payment, or the
   * sums per slice between vrpPeriodCuts, each dated at its slice's start.
   */
  counted: ReadonlyArray<{ amount: string; at: Date }>;
}

const INSTRUCTION_AMOUNT = 'Data.Instruction.InstructedAmount.Amount';

/**
 * An OB date-time a consent's life turns on (a VRP's ValidFromDateTime and ValidToDateTime, an
 * account-access or funds-confirmation consent's ExpirationDateTime) as the instant the platform's
 * millisecond clock checks against: a time written with finer digits (OB's date-time allows nine) is
 * rounded up to the next millisecond, so `ValidFrom <= now < ValidTo` and `now < ExpirationDateTime` hold
 * as written. `new Date()` cut them off: a ValidTo of `…00.0005Z` refused a VRP at `…00.000Z`, a ValidFrom
 * of `…00.0009Z` let one through then, and a consent expired up to a millisecond early (until 7 December
 * 2026).
 */
export function obInstant(written: string): Date {
  const instant = new Date(written);
  const beyondMillisecond = /T[^.]*\.\d{3}(\d+)/.exec(written)?.[1];
  return beyondMillisecond && /[1-9]/.test(beyondMillisecond) ? new Date(instant.getTime() + 1) : instant;
}

/**
 * Whether `at` falls outside the consent's validity window (ValidFromDateTime <= at < ValidToDateTime,
 * either end optional): the first check of a VRP and of its funds confirmation.
 */
function vrpValidityWindowProblem(params: Pick<VrpControlParameters, 'ValidFromDateTime' | 'ValidToDateTime'>, at: Date): ControlParameterProblem | null {
  if (params.ValidFromDateTime && at < obInstant(params.ValidFromDateTime)) {
    return { parameter: 'ValidFromDateTime', path: 'Data.ConsentId', message: 'The consent is not valid yet (ValidFromDateTime)' };
  }
  if (params.ValidToDateTime && at >= obInstant(params.ValidToDateTime)) {
    return { parameter: 'ValidToDateTime', path: 'Data.ConsentId', message: 'The consent is no longer valid (ValidToDateTime)' };
  }
  return null;
}

/** Whether one VRP of `amount` (in units) and `currency` is beyond the consent: another currency, or above MaximumIndividualAmount. `at` is the amount's object in the body. */
function individualAmountProblem(params: Pick<VrpControlParameters, 'MaximumIndividualAmount'>, amount: bigint, currency: string, at: string): ControlParameterProblem | null {
  if (currency !== params.MaximumIndividualAmount.Currency) {
    return { parameter: 'MaximumIndividualAmount', path: `${at}.Currency`, message: 'The currency is not the consent’s' };
  }
  if (amount > amountUnits(params.MaximumIndividualAmount.Amount)) {
    return { parameter: 'MaximumIndividualAmount', path: `${at}.Amount`, message: 'The amount is above MaximumIndividualAmount' };
  }
  return null;
}

/**
 * What a VRP consent's funds confirmation may be asked, or the first parameter a question breaks: inside
 * the validity window, and an amount one VRP under the consent could pay (its currency, at most
 * MaximumIndividualAmount). Beyond that the answer would tell the TPP about the PSU's balance past what
 * the consent lets it move: by halving the amount, the balance to the penny. The periodic limits' remainder
 * is not applied: it changes with every VRP, and the amount asked stays bounded by the cap.
 */
export function vrpFundsConfirmationProblem(params: Pick<VrpControlParameters, 'ValidFromDateTime' | 'ValidToDateTime' | 'MaximumIndividualAmount'>, amount: string, currency: string, at: Date): ControlParameterProblem | null {
  return vrpValidityWindowProblem(params, at) ?? individualAmountProblem(params, amountUnits(amount), currency, 'Data.InstructedAmount');
}

/** The first control parameter a VRP would break, or null: checked in the order the consent lists them. */
export function checkVrpPayment(check: VrpPaymentCheck): ControlParameterProblem | null {
  const { params, at } = check;
  const outside = vrpValidityWindowProblem(params, at);
  if (outside) return outside;
  if (!params.VRPType.includes(check.vrpType)) {
    return { parameter: 'VRPType', path: 'Data.VRPType', message: 'The consent does not allow this VRPType' };
  }
  if (check.vrpType === SWEEPING_VRP_TYPE && !check.creditorIsPsusOwn) {
    return { parameter: 'VRPType', path: 'Data.Instruction.CreditorAccount', message: 'A sweeping payment goes to an account of the PSU' };
  }
  const amount = amountUnits(check.amount);
  const individual = individualAmountProblem(params, amount, check.currency, 'Data.Instruction.InstructedAmount');
  if (individual) return individual;
  for (const limit of params.PeriodicLimits) {
    const { start, end } = vrpPeriodAt(limit.PeriodType, limit.PeriodAlignment, check.consentCreatedAt, at);
    const spent = check.counted.filter((p) => p.at >= start && p.at < end).reduce((sum, p) => sum + amountUnits(p.amount), 0n);
    if (spent + amount > amountUnits(limit.Amount)) {
      return {
        parameter: 'PeriodicLimits',
        path: INSTRUCTION_AMOUNT,
        message: `The payment would exceed the ${limit.PeriodAlignment.toLowerCase()}-aligned ${limit.PeriodType} limit`,
      };
    }
  }
  return null;
}
