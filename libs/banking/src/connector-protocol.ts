import type { BankConnector } from './bank-connector.js';

/**
 * The connector protocol: one POST per BankConnector method, `{ args }` in and `{ result }` out, JSON
 * with ISO 8601 date-times. An upstream bank (or an adapter in front of its own API) speaks it; see
 * docs/connectors.md.
 */
export const CONNECTOR_PROTOCOL_PATH = '/connector/v1';

export const CONNECTOR_OPERATIONS = [
  'listAccountsOfPsu',
  'findAccounts',
  'listAccounts',
  'listBalances',
  'listTransactions',
  'summarizeTransactions',
  'listBeneficiaries',
  'listDirectDebits',
  'listStandingOrders',
  'listScheduledPayments',
  'listStatements',
  'listAccountParties',
  'findPsuParty',
  'listProducts',
  'listOffers',
  'initiatePayment',
  'confirmFunds',
] as const satisfies ReadonlyArray<Exclude<keyof BankConnector, 'name'>>;

export type ConnectorOperation = (typeof CONNECTOR_OPERATIONS)[number];

export function isConnectorOperation(value: string): value is ConnectorOperation {
  return (CONNECTOR_OPERATIONS as readonly string[]).includes(value);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Whether an ISO 8601 date-time names a day its month has (Date would take 30 February for 2 March). */
function isCalendarDay(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * JSON.parse reviver: date-time fields (`...DateTime`, `dateTime`, query bounds `from`/`to`) become Dates;
 * one naming a day that does not exist stays a string, which the contract then refuses (until
 * 7 December 2026 2026-02-30 was read as 2 March).
 */
export function reviveDates(key: string, value: unknown): unknown {
  if (typeof value === 'string' && (/DateTime$/i.test(key) || key === 'from' || key === 'to') && ISO_INSTANT.test(value) && isCalendarDay(value)) {
    return new Date(value);
  }
  return value;
}

/** The error body the server answers with; `invalid_cursor` maps back to InvalidCursorError. */
export interface ConnectorErrorBody {
  error: 'invalid_cursor' | 'invalid_request' | 'unauthorized' | 'server_error';
}
