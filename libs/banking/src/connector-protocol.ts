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

/** JSON.parse reviver: date-time fields (`...DateTime`, `dateTime`, query bounds `from`/`to`) become Dates. */
export function reviveDates(key: string, value: unknown): unknown {
  if (typeof value === 'string' && (/DateTime$/i.test(key) || key === 'from' || key === 'to') && ISO_INSTANT.test(value)) {
    return new Date(value);
  }
  return value;
}

/** The error body the server answers with; `invalid_cursor` maps back to InvalidCursorError. */
export interface ConnectorErrorBody {
  error: 'invalid_cursor' | 'invalid_request' | 'unauthorized' | 'server_error';
}
