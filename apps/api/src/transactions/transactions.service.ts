import type { BankConnector, BankTransaction } from '@consentry/banking';
import type { ApiConfig } from '@consentry/config';
import type { ConsentAccess } from '@consentry/consents';
import { allowedDirections, filterTransactionByPermissions } from '@consentry/redaction';
import { parseObQueryDateTime } from '@consentry/validation';
import { Inject, Injectable } from '@nestjs/common';

import { API_CONFIG, BANK_CONNECTOR } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { DataAccessAuditor } from '../open-banking/data-access.auditor.js';
import { ObLinks, ObMeta, obDateTime } from '../open-banking/ob-response.js';
import { AISP_BASE_PATH } from '../open-banking/open-banking.constants.js';
import { TppPrincipal } from '../security/tpp-principal.js';
import { TransactionsQueryDto } from './transactions-query.dto.js';

/** OBReadTransaction6 */
export interface OBReadTransaction6 {
  Data: { Transaction: Array<Record<string, unknown>> };
  Links: ObLinks;
  Meta: ObMeta;
}

/** The full OBTransaction6 (Detail); the permission rules cut it down to Basic where needed. */
function toObTransaction(transaction: BankTransaction): Record<string, unknown> {
  return {
    AccountId: transaction.accountId,
    TransactionId: transaction.transactionId,
    ...(transaction.transactionReference ? { TransactionReference: transaction.transactionReference } : {}),
    CreditDebitIndicator: transaction.creditDebitIndicator,
    Status: transaction.status,
    BookingDateTime: obDateTime(transaction.bookingDateTime),
    ...(transaction.valueDateTime ? { ValueDateTime: obDateTime(transaction.valueDateTime) } : {}),
    ...(transaction.transactionInformation ? { TransactionInformation: transaction.transactionInformation } : {}),
    Amount: { Amount: transaction.amount, Currency: transaction.currency },
    ...(transaction.bankTransactionCode
      ? { BankTransactionCode: { Code: transaction.bankTransactionCode.code, SubCode: transaction.bankTransactionCode.subCode } }
      : {}),
    ...(transaction.balanceAfter
      ? {
          Balance: {
            CreditDebitIndicator: transaction.balanceAfter.creditDebitIndicator,
            Type: 'ITBD',
            Amount: { Amount: transaction.balanceAfter.amount, Currency: transaction.currency },
          },
        }
      : {}),
    ...(transaction.merchantName || transaction.merchantCategoryCode
      ? {
          MerchantDetails: {
            ...(transaction.merchantName ? { MerchantName: transaction.merchantName } : {}),
            ...(transaction.merchantCategoryCode ? { MerchantCategoryCode: transaction.merchantCategoryCode } : {}),
          },
        }
      : {}),
  };
}

function later(a: Date | undefined, b: Date | null): Date | undefined {
  if (!b) return a;
  return !a || b > a ? b : a;
}

function earlier(a: Date | undefined, b: Date | null): Date | undefined {
  if (!b) return a;
  return !a || b < a ? b : a;
}

export interface TransactionsRequest {
  principal: TppPrincipal;
  consent: ConsentAccess;
  accountId: string;
  query: TransactionsQueryDto;
  requestPath: string;
  interactionId: string;
}

@Injectable()
export class TransactionsService {
  constructor(
    @Inject(BANK_CONNECTOR) private readonly bank: BankConnector,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly auditor: DataAccessAuditor,
    private readonly publicUrl: PublicUrl,
  ) {}

  async readTransactions(request: TransactionsRequest): Promise<OBReadTransaction6> {
    const { consent, query } = request;
    // The consent's TransactionFrom/ToDateTime bound what any query may see: the request can only narrow it.
    const from = later(parseObQueryDateTime(query.fromBookingDateTime) ?? undefined, consent.transactionFromDateTime);
    const to = earlier(parseObQueryDateTime(query.toBookingDateTime) ?? undefined, consent.transactionToDateTime);
    const directions = allowedDirections(consent.permissions);
    const page =
      from && to && from > to
        ? { transactions: [], nextCursor: null, totalPages: 0, firstAvailableDateTime: null, lastAvailableDateTime: null }
        : await this.bank.listTransactions({
            accountId: request.accountId,
            from,
            to,
            creditDebitIndicators: directions,
            pageSize: this.config.pageSize,
            after: query.page,
          });
    const shown = page.transactions.flatMap<Record<string, unknown>>((transaction) => filterTransactionByPermissions(toObTransaction(transaction), consent.permissions) ?? []);
    await this.auditor.record({
      resource: 'transactions',
      principal: request.principal,
      consent,
      accountIds: [request.accountId],
      count: shown.length,
      interactionId: request.interactionId,
    });
    const links: ObLinks = { Self: this.publicUrl.of(request.requestPath) };
    if (page.nextCursor) links.Next = this.publicUrl.of(this.nextPath(request, page.nextCursor));
    const meta: ObMeta = { TotalPages: page.totalPages };
    if (page.firstAvailableDateTime) meta.FirstAvailableDateTime = obDateTime(page.firstAvailableDateTime);
    if (page.lastAvailableDateTime) meta.LastAvailableDateTime = obDateTime(page.lastAvailableDateTime);
    return { Data: { Transaction: shown }, Links: links, Meta: meta };
  }

  private nextPath(request: TransactionsRequest, cursor: string): string {
    const params = new URLSearchParams();
    if (request.query.fromBookingDateTime) params.set('fromBookingDateTime', request.query.fromBookingDateTime);
    if (request.query.toBookingDateTime) params.set('toBookingDateTime', request.query.toBookingDateTime);
    params.set('page', cursor);
    return `/${AISP_BASE_PATH}/accounts/${encodeURIComponent(request.accountId)}/transactions?${params.toString()}`;
  }
}
