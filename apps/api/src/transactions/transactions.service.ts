import {
  AggregatedBank,
  BankTransaction,
  ConnectorUnavailableError,
  EMPTY_TRANSACTION_PAGE,
  Gathered,
  InvalidCursorError,
  isCursorKey,
  TransactionPage,
  TransactionSummary,
} from '@consentry/banking';
import type { ConsentAccess } from '@consentry/consents';
import { allowedDirections, transactionFilterFor } from '@consentry/redaction';
import { parseObQueryDateTime } from '@consentry/validation';
import { Injectable } from '@nestjs/common';

import { ObListResponder, ObReadRequest } from '../open-banking/ob-list.responder.js';
import { markUnavailable, obAmount, obDateTime, ObMeta, ObReadResponse } from '../open-banking/ob-response.js';

/** OBReadTransaction6 */
export type OBReadTransaction6 = ObReadResponse<'Transaction'>;

/** The full OBTransaction6 (Detail); the permission rules cut it down to Basic where needed. Fields in schema order. */
export function toObTransaction(transaction: BankTransaction): Record<string, unknown> {
  const ob: Record<string, unknown> = { AccountId: transaction.accountId, TransactionId: transaction.transactionId };
  if (transaction.transactionReference) ob.TransactionReference = transaction.transactionReference;
  ob.CreditDebitIndicator = transaction.creditDebitIndicator;
  ob.Status = transaction.status;
  ob.BookingDateTime = obDateTime(transaction.bookingDateTime);
  if (transaction.valueDateTime) ob.ValueDateTime = obDateTime(transaction.valueDateTime);
  if (transaction.transactionInformation) ob.TransactionInformation = transaction.transactionInformation;
  ob.Amount = obAmount(transaction.amount, transaction.currency);
  if (transaction.bankTransactionCode) ob.BankTransactionCode = { Code: transaction.bankTransactionCode.code, SubCode: transaction.bankTransactionCode.subCode };
  if (transaction.balanceAfter) {
    ob.Balance = {
      CreditDebitIndicator: transaction.balanceAfter.creditDebitIndicator,
      Type: 'ITBD',
      Amount: obAmount(transaction.balanceAfter.amount, transaction.currency),
    };
  }
  if (transaction.merchantName || transaction.merchantCategoryCode) {
    const merchant: Record<string, string> = {};
    if (transaction.merchantName) merchant.MerchantName = transaction.merchantName;
    if (transaction.merchantCategoryCode) merchant.MerchantCategoryCode = transaction.merchantCategoryCode;
    ob.MerchantDetails = merchant;
  }
  return ob;
}

function later(a: Date | undefined, b: Date | null | undefined): Date | undefined {
  if (!b) return a;
  return !a || b > a ? b : a;
}

function earlier(a: Date | undefined, b: Date | null | undefined): Date | undefined {
  if (!b) return a;
  return !a || b < a ? b : a;
}

/** The booking window a read may see: the request's filter, clipped to the consent's Transaction From/To. */
export interface BookingWindow {
  from?: Date;
  to?: Date;
}

export function clipToConsent(consent: ConsentAccess, requested: BookingWindow): BookingWindow {
  return { from: later(requested.from, consent.transactionFromDateTime), to: earlier(requested.to, consent.transactionToDateTime) };
}

export interface TransactionsRead extends ObReadRequest {
  fromBookingDateTime?: string;
  toBookingDateTime?: string;
}

/** A bulk page: an account, and that account's own cursor (null: its first page). */
interface BulkCursor {
  a: string;
  c: string | null;
}

/** Where a page's links lead. */
interface Paging {
  next: string | null;
  prev: string | null;
  lastPage: string | null;
  totalPages: number;
  firstAvailable: Date | null;
  lastAvailable: Date | null;
}

function encodeBulkCursor(cursor: BulkCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeBulkCursor(value: string): BulkCursor {
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<BulkCursor>;
    if (isCursorKey(parsed.a) && (parsed.c === null || typeof parsed.c === 'string')) return { a: parsed.a, c: parsed.c };
  } catch {
    // fall through
  }
  throw new InvalidCursorError('unrecognised page cursor');
}

/** What the bulk read needs of an account as a whole: a summary, or a page (which carries the same). */
type AccountTotals = Pick<TransactionSummary, 'totalPages' | 'lastCursor' | 'firstAvailableDateTime' | 'lastAvailableDateTime'>;

@Injectable()
export class TransactionsService {
  constructor(
    private readonly bank: AggregatedBank,
    private readonly responder: ObListResponder,
  ) {}

  /** One account's transactions (path AccountId), or, with `window`, those of one statement period. */
  async readAccountTransactions(request: TransactionsRead, statementWindow?: BookingWindow): Promise<OBReadTransaction6> {
    const accountId = request.accountId!;
    const window = this.window(request, statementWindow);
    const page = window ? await this.page(request.consent, accountId, window, request.page) : EMPTY_TRANSACTION_PAGE;
    return this.answer(request, statementWindow ? 'statement-transactions' : 'transactions', page.transactions, [accountId], {
      next: page.nextCursor,
      prev: page.prevCursor,
      lastPage: page.lastCursor,
      totalPages: page.totalPages,
      firstAvailable: page.firstAvailableDateTime,
      lastAvailable: page.lastAvailableDateTime,
    });
  }

  /**
   * Every consented account's transactions, one account after another: a page never mixes accounts, so
   * each account's own keyset cursor carries over and Meta.TotalPages is the sum of theirs. Prev steps
   * back within the account, then to the last page of the previous account with rows; Last is the last
   * page of the last account with rows. Rows are read for the page shown only; of every account, its
   * summary (TotalPages, Last, bounds), in one read per bank: the read holds one page and makes the same
   * number of statements whatever the number of accounts.
   */
  async readBulkTransactions(request: TransactionsRead): Promise<OBReadTransaction6> {
    const accounts = request.consent.accountIds;
    const window = this.window(request);
    const cursor = request.page ? decodeBulkCursor(request.page) : null;
    const startAt = cursor ? accounts.indexOf(cursor.a) : 0;
    if (startAt < 0) throw new InvalidCursorError('unrecognised page cursor');
    const unavailable = new Set<string>();
    const read = async (index: number, after?: string): Promise<TransactionPage> => {
      if (!window || index >= accounts.length) return EMPTY_TRANSACTION_PAGE;
      try {
        return await this.page(request.consent, accounts[index]!, window, after);
      } catch (error) {
        if (!(error instanceof ConnectorUnavailableError)) throw error;
        unavailable.add(accounts[index]!);
        return EMPTY_TRANSACTION_PAGE;
      }
    };
    // The cursor's account with its rows, and every account's summary.
    const [first, summarised] = await Promise.all([read(startAt, cursor?.c ?? undefined), window ? this.summaries(request.consent, accounts, window) : null]);
    for (const id of summarised?.unavailable ?? []) unavailable.add(id);
    const byAccount = new Map((summarised?.items ?? []).map((summary) => [summary.accountId, summary]));
    const totals: AccountTotals[] = accounts.map((id) => byAccount.get(id) ?? EMPTY_TRANSACTION_PAGE);
    // An account's page carries its totals as read with its rows: they win over the summary's.
    if (startAt < accounts.length && !unavailable.has(accounts[startAt]!)) totals[startAt] = first;
    // Accounts before the cursor's are done; take the first account from there that has rows, and its first page.
    let current = startAt;
    let page = first;
    if (accounts.length > 0 && first.transactions.length === 0) {
      const withRows = totals.findIndex((t, index) => index > startAt && t.totalPages > 0);
      current = withRows >= 0 ? withRows : accounts.length - 1;
      if (withRows >= 0) {
        page = await read(current);
        if (!unavailable.has(accounts[current]!)) totals[current] = page;
      } else if (current !== startAt) {
        page = EMPTY_TRANSACTION_PAGE;
      }
    }
    const missing = accounts.filter((id) => unavailable.has(id));
    this.responder.assertAvailable(request, missing);
    const following = totals.findIndex((t, index) => index > current && t.totalPages > 0);
    const next = page.nextCursor
      ? encodeBulkCursor({ a: accounts[current]!, c: page.nextCursor })
      : following >= 0
        ? encodeBulkCursor({ a: accounts[following]!, c: null })
        : null;
    const preceding = totals.findLastIndex((t, index) => index < current && t.totalPages > 0);
    const prev = page.prevCursor
      ? encodeBulkCursor({ a: accounts[current]!, c: page.prevCursor })
      : page.transactions.length > 0 && preceding >= 0
        ? encodeBulkCursor({ a: accounts[preceding]!, c: totals[preceding]!.lastCursor })
        : null;
    const final = totals.findLastIndex((t) => t.totalPages > 0);
    const lastPage = final >= 0 ? encodeBulkCursor({ a: accounts[final]!, c: totals[final]!.lastCursor }) : null;
    const firsts = totals.flatMap((t) => t.firstAvailableDateTime ?? []);
    const lasts = totals.flatMap((t) => t.lastAvailableDateTime ?? []);
    const body = await this.answer(request, 'transactions', page.transactions, page.transactions.length > 0 ? [accounts[current]!] : [], {
      next,
      prev,
      lastPage,
      totalPages: totals.reduce((sum, t) => sum + t.totalPages, 0),
      firstAvailable: firsts.length > 0 ? new Date(Math.min(...firsts.map((d) => d.getTime()))) : null,
      lastAvailable: lasts.length > 0 ? new Date(Math.max(...lasts.map((d) => d.getTime()))) : null,
    });
    return markUnavailable(body, missing);
  }

  /** The clipped window, or null when it is empty (from after to): nothing to read. */
  private window(request: TransactionsRead, statementWindow?: BookingWindow): BookingWindow | null {
    const requested = {
      from: later(parseObQueryDateTime(request.fromBookingDateTime) ?? undefined, statementWindow?.from),
      to: earlier(parseObQueryDateTime(request.toBookingDateTime) ?? undefined, statementWindow?.to),
    };
    const window = clipToConsent(request.consent, requested);
    return window.from && window.to && window.from > window.to ? null : window;
  }

  /** One account's page after `after` (a cursor it issued), or its first page. */
  private page(consent: ConsentAccess, accountId: string, window: BookingWindow, after?: string): Promise<TransactionPage> {
    const directions = allowedDirections(consent.permissions);
    return this.bank.listTransactions({ accountId, from: window.from, to: window.to, creditDebitIndicators: directions, pageSize: this.responder.size, after });
  }

  /** Each account's summary, with the same filters and page size as its pages. */
  private summaries(consent: ConsentAccess, accountIds: readonly string[], window: BookingWindow): Promise<Gathered<TransactionSummary>> {
    const directions = allowedDirections(consent.permissions);
    return this.bank.summarizeTransactions({ accountIds, from: window.from, to: window.to, creditDebitIndicators: directions, pageSize: this.responder.size });
  }

  private async answer(
    request: TransactionsRead,
    resource: 'transactions' | 'statement-transactions',
    transactions: BankTransaction[],
    accountIds: string[],
    paging: Paging,
  ): Promise<OBReadTransaction6> {
    const filter = transactionFilterFor(request.consent.permissions);
    const shown: Array<Record<string, unknown>> = [];
    for (const transaction of transactions) {
      const ob = filter(toObTransaction(transaction));
      if (ob !== null) shown.push(ob);
    }
    await this.responder.audit(request, resource, accountIds, shown.length);
    const meta: ObMeta = { TotalPages: paging.totalPages };
    if (paging.firstAvailable) meta.FirstAvailableDateTime = obDateTime(paging.firstAvailable);
    if (paging.lastAvailable) meta.LastAvailableDateTime = obDateTime(paging.lastAvailable);
    const links = this.responder.links(request.requestPath, paging.next, paging.totalPages, { prev: paging.prev, last: paging.lastPage });
    return { Data: { Transaction: shown }, Links: links, Meta: meta };
  }
}

