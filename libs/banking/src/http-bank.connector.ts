import { Logger } from '@nestjs/common';

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
import { ConnectorResult, readConnectorResult, ResultShapeError } from './connector-results.js';

export interface HttpBankConnectorOptions {
  /** The `aspsp.connector` value this connector serves. */
  name: string;
  /** Base URL of the upstream (https in production). */
  baseUrl: string;
  /** Bearer credential the upstream expects from the platform. */
  token: string;
  /** Per call; a bank slower than this counts as down for the call. */
  timeoutMs?: number;
  /** Largest answer body read (MAX_RESPONSE_BYTES by default); a larger one counts as the bank being down for the call. */
  maxResponseBytes?: number;
}

/**
 * Largest answer body read from an upstream. The largest contract answer is a page of MAX_PAGE_SIZE (1000)
 * transactions or records, well under 2 KiB each as JSON; anything past this is not a contract answer and
 * must not fill the process's memory.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const logger = new Logger('HttpBankConnector');

/**
 * The upstream does not serve the operation (404): it speaks an older version of the protocol, or is
 * misconfigured. Unavailable, as any refusal of ours is (below); `summarizeTransactions` falls back on it.
 */
class UnknownOperationError extends ConnectorUnavailableError {
  override name = 'UnknownOperationError';
}

/**
 * A bank reached over HTTP with the connector protocol (connector-protocol.ts). Network failures,
 * timeouts, 5xx answers and answers it cannot read as the contract (cut short, not JSON, larger than
 * `maxResponseBytes`, another shape or outcome: connector-results.ts) are ConnectorUnavailableError, so
 * the API serves the other banks' accounts and a payment's outcome stays unknown (PDNG), never guessed.
 */
export class HttpBankConnector implements BankConnector {
  readonly name: string;
  private readonly base: string;

  constructor(private readonly options: HttpBankConnectorOptions) {
    this.name = options.name;
    this.base = `${options.baseUrl.replace(/\/+$/, '')}${CONNECTOR_PROTOCOL_PATH}`;
  }

  private async call<O extends ConnectorOperation>(operation: O, ...args: unknown[]): Promise<ConnectorResult<O>> {
    let response: Response;
    try {
      response = await fetch(`${this.base}/${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.token}` },
        body: JSON.stringify({ args }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        // A redirect is never followed: it would send the order (payee, amount, the token on the same
        // origin) wherever the Location names, and take that host's answer for the bank's (until 7 December
        // 2026 fetch's default followed it). It is an answer that tells nothing of the order: unknown.
        redirect: 'manual',
      });
    } catch (error) {
      throw new ConnectorUnavailableError(this.name, `${this.name}: upstream unreachable`, { cause: error });
    }
    if (response.status >= 500 || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel().catch(() => undefined);
      throw new ConnectorUnavailableError(this.name, `${this.name}: upstream answered ${response.status}`);
    }
    const read = await readBounded(response, this.options.maxResponseBytes ?? MAX_RESPONSE_BYTES);
    if (!response.ok) {
      // A payment order answered with anything but the contract's outcome tells nothing of what the bank did
      // (it may have debited before it failed): unknown, as in an outage, so the order stays PDNG for the
      // re-drive and the TPP is answered as for one (until 7 December 2026 a 4xx after a debit reached the
      // TPP as a 400 about a page cursor, or a 500, while the payment stood). A bank that asks us to wait
      // (408, 429) is busy, not refusing: unavailable for every operation, so its accounts alone go missing.
      if (operation === 'initiatePayment' || response.status === 408 || response.status === 429) {
        throw this.unreadable(operation, `answered ${response.status}`);
      }
      const body = safeParse('text' in read ? read.text : '') as Partial<ConnectorErrorBody> | undefined;
      // Only a transactions page takes a cursor of the TPP's, and only when one was sent: a bank refusing a
      // first page's cursor refuses us, not the TPP (until 8 December 2026 it was the TPP's 400 U002, and a
      // bulk read failed for every bank's accounts).
      const sentCursor = operation === 'listTransactions' && typeof (args[0] as { after?: unknown } | undefined)?.after === 'string';
      if (sentCursor && response.status === 400 && body?.error === 'invalid_cursor') throw new InvalidCursorError('unrecognised page cursor');
      if (response.status === 404) throw new UnknownOperationError(this.name, `${this.name}: upstream refused ${operation} with 404`);
      // A 400, 401 or 403 from the upstream is our misconfiguration (a token it no longer takes, a request it
      // cannot read), not the TPP's: logged as an error for the operator, and this bank answered as
      // unavailable, so its accounts alone go missing. Until 7 December 2026 it was thrown as a defect, and
      // one bank's 401 made a bulk read a 500 for every bank's accounts.
      logger.error(`bank connector ${this.name}: ${operation} refused with ${response.status}: check the connector's token and protocol version; treated as unavailable`);
      throw new ConnectorUnavailableError(this.name, `${this.name}: upstream refused ${operation} with ${response.status}`);
    }
    // From here on, an answer that is not exactly the contract's tells nothing of what the bank did (a
    // payment may have been debited): the outcome is unknown, as in an outage, never a result or a rejection.
    if ('problem' in read) throw this.unreadable(operation, read.problem, read.cause);
    let body: unknown;
    try {
      body = JSON.parse(read.text, reviveDates);
    } catch {
      // Not the SyntaxError as cause: its message quotes the body.
      throw this.unreadable(operation, 'answer is not JSON');
    }
    try {
      return readConnectorResult(operation, body);
    } catch (error) {
      if (!(error instanceof ResultShapeError)) throw error;
      throw this.unreadable(operation, `answer outside the contract (${error.message})`, error);
    }
  }

  /** An answer the connector cannot read: logged (bank, operation, reason; never the body, which may hold personal data) and reported as an outage. */
  private unreadable(operation: ConnectorOperation, reason: string, cause?: unknown): ConnectorUnavailableError {
    logger.warn(`bank connector ${this.name}: ${operation} ${reason}; treated as unavailable`);
    return new ConnectorUnavailableError(this.name, `${this.name}: upstream ${operation} ${reason}`, { cause });
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

  listTransactions(query: TransactionQuery): Promise<TransactionPage> {
    return this.call('listTransactions', query);
  }

  async summarizeTransactions(query: TransactionSummaryQuery): Promise<TransactionSummary[]> {
    try {
      return await this.call('summarizeTransactions', query);
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

/** The body as text, read up to `limit` bytes; a body cut short, or longer, is a problem (its reason, never its content). */
async function readBounded(response: Response, limit: number): Promise<{ text: string } | { problem: string; cause?: unknown }> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const tooLarge = `answer larger than ${limit} bytes`;
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return { problem: tooLarge };
  }
  if (!response.body) return { text: '' };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        return { problem: tooLarge };
      }
      chunks.push(value);
    }
  } catch (error) {
    // The socket closed (or the time-out fired) before the whole body came: what the bank meant is unknown.
    return { problem: 'answer cut short', cause: error };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)) };
  } catch (error) {
    return { problem: 'answer is not UTF-8', cause: error };
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
