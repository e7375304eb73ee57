import { AdminPaymentFilter } from '../admin/payments/payment-admin.service.js';
import { PAYMENT_STATUSES, PaymentStatus } from '../payment-views/payment-rows.js';
import { instant, one } from './audit-filter.form.js';

/** The payment search form's fields as typed, to fill the form again. */
export interface PaymentFilterValues {
  status: string;
  clientId: string;
  consentId: string;
  from: string;
  to: string;
}

export interface ParsedPaymentFilter {
  filter: AdminPaymentFilter;
  values: PaymentFilterValues;
  /** One message per field that could not be read; the search does not run while there are any. */
  errors: Partial<Record<keyof PaymentFilterValues, string>>;
  /** The page cursor (`cursor`), checked for shape here and decoded by the service. */
  cursor: string | undefined;
}

const MAX_ID = 200;
const CURSOR = /^[A-Za-z0-9_-]{1,200}$/;

function isPaymentStatus(value: string): value is PaymentStatus {
  return (PAYMENT_STATUSES as readonly string[]).includes(value);
}

/** Reads the console's payment search from its query string, with the admin API's rules (GET /admin/payments). */
export function parsePaymentFilterForm(source: Record<string, unknown>): ParsedPaymentFilter {
  const values: PaymentFilterValues = {
    status: one(source, 'status'),
    clientId: one(source, 'clientId'),
    consentId: one(source, 'consentId'),
    from: one(source, 'from'),
    to: one(source, 'to'),
  };
  const filter: AdminPaymentFilter = {};
  const errors: ParsedPaymentFilter['errors'] = {};
  if (values.status) {
    if (isPaymentStatus(values.status)) filter.status = values.status;
    else errors.status = 'Choose a status from the list.';
  }
  for (const name of ['clientId', 'consentId'] as const) {
    if (!values[name]) continue;
    if (values[name].length > MAX_ID) errors[name] = `At most ${MAX_ID} characters.`;
    else filter[name] = values[name];
  }
  for (const name of ['from', 'to'] as const) {
    if (!values[name]) continue;
    const date = instant(values[name], name);
    if (date) filter[name] = date;
    else errors[name] = 'Enter a date and time, for example 2026-11-20T09:30.';
  }
  if (filter.from && filter.to && filter.from > filter.to) errors.to = 'The end must not be before the start.';
  const cursor = one(source, 'cursor');
  return { filter, values, errors, cursor: CURSOR.test(cursor) ? cursor : undefined };
}
