import { AdminPaymentFilter } from '../admin/payments/payment-admin.service.js';
import { PAYMENT_STATUSES, PaymentStatus } from '../payment-views/payment-rows.js';
import { one, readIdsAndPeriod, repeatedFields } from './audit-filter.form.js';

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
  readIdsAndPeriod(values, ['clientId', 'consentId'], filter, errors);
  repeatedFields(source, ['status', 'clientId', 'consentId', 'from', 'to'], errors);
  const cursor = one(source, 'cursor');
  return { filter, values, errors, cursor: CURSOR.test(cursor) ? cursor : undefined };
}
