import { AdminPaymentFilter } from '../admin/payments/payment-admin.service.js';
import { PageException, PageExceptionCode } from '../dashboard/page.exception.js';
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
  // One the pager did not write is refused (400), as GET /admin/payments refuses it, rather than read as
  // the first page (until 7 December 2026).
  if (cursor && !CURSOR.test(cursor)) throw new PageException(PageExceptionCode.InvalidForm, 'the page cursor is not valid');
  return { filter, values, errors, cursor: cursor || undefined };
}
