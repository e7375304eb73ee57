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
