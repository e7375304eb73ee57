import {
  AccountPartyQuery,
  BankAccount,
  BankAccountParty,
  BankBalance,
  BankBeneficiary,
  BankConnector,
  BankDirectDebit,
  BankOffer,
  BankPaymentOrder,
  BankPaymentResult,
  BankParty,
  BankProduct,
  BankScheduledPayment,
  BankStandingOrder,
  BankStatement,
  ListSlice,
  ListWindow,
  ConnectorUnavailableError,
  InvalidCursorError,
  StatementQuery,
  TransactionPage,
  TransactionQuery,
  TransactionSummary,
  TransactionSummaryQuery,
} from './bank-connector.js';
import { CONNECTOR_PROTOCOL_PATH, ConnectorErrorBody, ConnectorOperation, reviveDates } from './connector-protocol.js';

export interface HttpBankConnectorOptions {
  /** The `aspsp.connector` value this connector serves. */
  name: string;
  /** Base URL of the upstream (https in production). */
  baseUrl: string;
  /** Bearer credential the upstream expects from the platform. */
  token: string;
  /** Per call; a bank slower than this counts as down for the call. */
  timeoutMs?: number;
}

/** The upstream does not serve the operation (404): it speaks an older version of the protocol, or is misconfigured. */
class UnknownOperationError extends Error {
  override name = 'UnknownOperationError';
}

/**
 * A bank reached over HTTP with the connector protocol (connector-protocol.ts). Network failures,
 * timeouts and 5xx answers are ConnectorUnavailableError, so the API serves the other banks' accounts.
 */
export class HttpBankConnector implements BankConnector {
  readonly name: string;
  private readonly base: string;

  constructor(private readonly options: HttpBankConnectorOptions) {
    this.name = options.name;
    this.base = `${options.baseUrl.replace(/\/+$/, '')}${CONNECTOR_PROTOCOL_PATH}`;
  }

  private async call<T>(operation: ConnectorOperation, ...args: unknown[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.base}/${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
        body: JSON.stringify({ args }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
    } catch (error) {
      throw new ConnectorUnavailableError(this.name, `${this.name}: upstream unreachable`, { cause: error });
    }
    const text = await response.text().catch(() => '');
    if (response.status >= 500) throw new ConnectorUnavailableError(this.name, `${this.name}: upstream answered ${response.status}`);
    if (!response.ok) {
      const body = safeParse(text) as Partial<ConnectorErrorBody> | undefined;
      if (response.status === 400 && body?.error === 'invalid_cursor') throw new InvalidCursorError('unrecognised page cursor');
      if (response.status === 404) throw new UnknownOperationError(`${this.name}: upstream refused ${operation} with 404`);
      // A 401/403/400 from the upstream is our misconfiguration, not the TPP's: a defect to surface.
      throw new Error(`${this.name}: upstream refused ${operation} with ${response.status}`);
    }
    const body = JSON.parse(text, reviveDates) as { result: T };
    return body.result;
  }

  listAccountsOfPsu(psuId: string): Promise<BankAccount[]> {
    return this.call('listAccountsOfPsu', psuId);
  }

  findAccounts(accountIds: readonly string[]): Promise<BankAccount[]> {
    return this.call('findAccounts', accountIds);
  }

  listAccounts(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankAccount>> {
    return this.call('listAccounts', accountIds, window);
  }

  listBalances(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankBalance>> {
    return this.call('listBalances', accountIds, window);
  }

  async listTransactions(query: TransactionQuery): Promise<TransactionPage> {
    const page = await this.call<TransactionPage>('listTransactions', query);
    // An upstream that predates Prev/Last paging leaves them out: no such links rather than `undefined`.
    return { ...page, prevCursor: page.prevCursor ?? null, lastCursor: page.lastCursor ?? null };
  }

  async summarizeTransactions(query: TransactionSummaryQuery): Promise<TransactionSummary[]> {
    try {
      return await this.call<TransactionSummary[]>('summarizeTransactions', query);
    } catch (error) {
      if (!(error instanceof UnknownOperationError)) throw error;
    }
    // An upstream that predates the operation (404): each account's first page, of which only the summary is kept.
    const { accountIds, ...filters } = query;
    return Promise.all(
      accountIds.map(async (accountId) => {
        const page = await this.listTransactions({ ...filters, accountId });
        return { accountId, totalPages: page.totalPages, lastCursor: page.lastCursor, firstAvailableDateTime: page.firstAvailableDateTime, lastAvailableDateTime: page.lastAvailableDateTime };
      }),
    );
  }

  listBeneficiaries(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankBeneficiary>> {
    return this.call('listBeneficiaries', accountIds, window);
  }

  listDirectDebits(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankDirectDebit>> {
    return this.call('listDirectDebits', accountIds, window);
  }

  listStandingOrders(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankStandingOrder>> {
    return this.call('listStandingOrders', accountIds, window);
  }

  listScheduledPayments(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankScheduledPayment>> {
    return this.call('listScheduledPayments', accountIds, window);
  }

  listStatements(accountIds: readonly string[], query: StatementQuery, window: ListWindow): Promise<ListSlice<BankStatement>> {
    return this.call('listStatements', accountIds, query, window);
  }

  listAccountParties(accountIds: readonly string[], query: AccountPartyQuery, window: ListWindow): Promise<ListSlice<BankAccountParty>> {
    return this.call('listAccountParties', accountIds, query, window);
  }

  findPsuParty(psuId: string, accountIds: readonly string[]): Promise<BankParty | null> {
    return this.call('findPsuParty', psuId, accountIds);
  }

  listProducts(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankProduct>> {
    return this.call('listProducts', accountIds, window);
  }

  listOffers(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankOffer>> {
    return this.call('listOffers', accountIds, window);
  }

  /**
   * Safe to retry after a timeout: the upstream debits a paymentId at most once. The answer to a retry
   * is the first execution's outcome.
   */
  initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult> {
    return this.call('initiatePayment', order);
  }

  confirmFunds(accountId: string, amount: string, currency: string): Promise<boolean> {
    return this.call('confirmFunds', accountId, amount, currency);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
