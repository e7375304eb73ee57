import { readStandingOrderSchedule, StandingOrderFrequency } from './standing-order-frequency.js';
import type { VrpControlParameters } from './vrp-control-parameters.js';

/**
 * Payment consents in the PSU's words: the one wording of amounts and VRP control parameters that the
 * approval page (auth server) and the dashboard (API) both show, so what the PSU approved and what
 * their dashboard says they approved can never read differently.
 */

/** An OB amount as people read it: grouped digits, two decimals at least, never rounded ("1,250.00 GBP"). */
export function formatPaymentAmount(amount: string, currency: string): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${grouped}.${fraction.padEnd(2, '0')} ${currency}`;
}

const VRP_TYPE_WORDS: Record<string, string> = {
  'UK.OBIE.VRPType.Sweeping': 'Moving money between your own accounts (sweeping)',
  'UK.OBIE.VRPType.Other': 'Payments to someone else',
};

const PERIOD_WORDS: Record<string, string> = { Day: 'day', Week: 'week', Fortnight: 'fortnight', Month: 'month', 'Half-year': 'half-year', Year: 'year' };

/** A VRP type in words ("Payments to someone else"); an unknown one as it is. */
export function describeVrpType(type: string): string {
  return VRP_TYPE_WORDS[type] ?? type;
}

/** A periodic limit in words: "150.00 GBP per calendar month", "20.00 GBP per fortnight, counted from the day the consent was made". */
export function describeVrpLimit(limit: { Amount: string; Currency: string; PeriodType: string; PeriodAlignment: string }): string {
  const period = PERIOD_WORDS[limit.PeriodType] ?? limit.PeriodType;
  const amount = formatPaymentAmount(limit.Amount, limit.Currency);
  return limit.PeriodAlignment === 'Calendar' ? `${amount} per calendar ${period}` : `${amount} per ${period}, counted from the day the consent was made`;
}

/** A VRP consent's ControlParameters in words; the validity window as instants for the page to format. */
export interface VrpControlParameterWords {
  types: string[];
  maximumPerPayment: string;
  periodicLimits: string[];
  validFrom: Date | null;
  validTo: Date | null;
}

export function describeVrpControlParameters(params: VrpControlParameters): VrpControlParameterWords {
  return {
    types: params.VRPType.map(describeVrpType),
    maximumPerPayment: formatPaymentAmount(params.MaximumIndividualAmount.Amount, params.MaximumIndividualAmount.Currency),
    periodicLimits: params.PeriodicLimits.map(describeVrpLimit),
    validFrom: params.ValidFromDateTime ? new Date(params.ValidFromDateTime) : null,
    validTo: params.ValidToDateTime ? new Date(params.ValidToDateTime) : null,
  };
}

const FREQUENCY_WORDS: Record<StandingOrderFrequency, string> = {
  DAIL: 'Every day',
  WEEK: 'Every week',
  FRTN: 'Every two weeks',
  MNTH: 'Every month',
  QURT: 'Every three months',
  MIAN: 'Every six months',
  YEAR: 'Every year',
};

/** One line of a consent's terms as a page shows it: the term, its value in words, and a data-field name for tests. */
export interface ConsentTermLine {
  term: string;
  value: string;
  field: string;
}

/**
 * A standing order Initiation (validated at consent creation) in the PSU's words: what the approval page
 * shows before the PSU binds it, and what the dashboard shows after, line by line. Dates go through the
 * page's own formatter (Europe/London). Null if the Initiation cannot be read as a schedule.
 */
export function describeStandingOrder(initiation: Record<string, unknown>, formatDate: (at: Date) => string): ConsentTermLine[] | null {
  const read = readStandingOrderSchedule(initiation);
  if ('problem' in read) return null;
  const { schedule } = read;
  const money = (amount: string): string => formatPaymentAmount(amount, schedule.first.currency);
  const lines: ConsentTermLine[] = [
    { term: 'How often', value: FREQUENCY_WORDS[schedule.frequency], field: 'frequency' },
    { term: 'First payment', value: `${money(schedule.first.amount)} on ${formatDate(schedule.first.at)}`, field: 'first-payment' },
  ];
  const recurring = schedule.recurringAmount ?? schedule.first.amount;
  const from = schedule.recurringFrom ? `, from ${formatDate(schedule.recurringFrom)}` : '';
  lines.push({ term: 'Then', value: `${money(recurring)} each time${from}`, field: 'recurring-payment' });
  if (schedule.finalAmount) lines.push({ term: 'Last payment', value: money(schedule.finalAmount), field: 'final-payment' });
  const ends =
    schedule.numberOfPayments !== null
      ? `After ${schedule.numberOfPayments} ${schedule.numberOfPayments === 1 ? 'payment' : 'payments'}`
      : schedule.finalAt
        ? `No payment after ${formatDate(schedule.finalAt)}`
        : 'When you cancel it';
  lines.push({ term: 'Ends', value: ends, field: 'ends' });
  return lines;
}
