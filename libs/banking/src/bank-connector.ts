/** An account as a bank connector reports it, before any permission filtering. */
export interface BankAccount {
  accountId: string;
  aspspId: string;
  status: 'Enabled' | 'Disabled' | 'Deleted' | 'Pending' | 'ProForma';
  currency: string;
  accountCategory: 'Personal' | 'Business';
  accountTypeCode: string;
  description: string | null;
  nickname: string | null;
  /** ISO 8601 date (YYYY-MM-DD). */
  openingDate: string | null;
  /** OB scheme, e.g. UK.OBIE.SortCodeAccountNumber or UK.OBIE.PAN. */
  schemeName: string;
  /** The account number in clear; for UK.OBIE.PAN the full card number (callers mask it). */
  identification: string;
  holderName: string;
}

/** OB balance types as ISO ExternalBalanceType1Code (ITAV = interim available, ITBD = interim booked, ...). */
export type BalanceTypeCode = 'CLAV' | 'CLBD' | 'FWAV' | 'INFO' | 'ITAV' | 'ITBD' | 'OPAV' | 'OPBD' | 'PRCD' | 'XPCD';

export interface BankBalance {
  accountId: string;
  type: BalanceTypeCode;
  /** Decimal string, never negative: the sign is in creditDebitIndicator. */
  amount: string;
  currency: string;
  creditDebitIndicator: 'Credit' | 'Debit';
  dateTime: Date;
}

export interface BankTransaction {
  transactionId: string;
  accountId: string;
  transactionReference: string | null;
  amount: string;
  currency: string;
  creditDebitIndicator: 'Credit' | 'Debit';
  status: 'BOOK' | 'PDNG' | 'FUTR' | 'INFO' | 'RJCT';
  bookingDateTime: Date;
  valueDateTime: Date | null;
  transactionInformation: string | null;
  bankTransactionCode: { code: string; subCode: string } | null;
  merchantName: string | null;
  merchantCategoryCode: string | null;
  balanceAfter: { amount: string; creditDebitIndicator: 'Credit' | 'Debit' } | null;
}

export interface TransactionQuery {
  accountId: string;
  /** Inclusive lower bound of booking date-time. */
  from?: Date;
  /** Inclusive upper bound of booking date-time. */
  to?: Date;
  /** Directions the caller may see; filtering here keeps pages full. */
  creditDebitIndicators: ReadonlyArray<'Credit' | 'Debit'>;
  pageSize: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  after?: string;
}

export interface TransactionPage {
  transactions: BankTransaction[];
  /** Cursor of the next page, when there is one. */
  nextCursor: string | null;
  /** Pages the whole (filtered) result spans. */
  totalPages: number;
  firstAvailableDateTime: Date | null;
  lastAvailableDateTime: Date | null;
}

/** A cursor that is not one this connector issued (tampered or from another query). */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/**
 * How the resource server reads a bank's ledger. The built-in implementation reads the sandbox ledger
 * in PostgreSQL; a connector to a real core banking system implements the same contract.
 */
export interface BankConnector {
  /** The `aspsp.connector` value whose banks this connector serves. */
  readonly name: string;
  listAccountsOfPsu(psuId: string): Promise<BankAccount[]>;
  /** The accounts among `accountIds` (unknown ids are left out), in the order of `accountIds`. */
  findAccounts(accountIds: readonly string[]): Promise<BankAccount[]>;
  listBalances(accountIds: readonly string[]): Promise<BankBalance[]>;
  listTransactions(query: TransactionQuery): Promise<TransactionPage>;
}
