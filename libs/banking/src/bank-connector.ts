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
  /** Opaque cursor from a previous page's `nextCursor`, `prevCursor` or `lastCursor`; absent: the first page. */
  after?: string;
}

/** What summarizeTransactions asks: TransactionQuery's filters and page size, over several accounts. */
export interface TransactionSummaryQuery extends Omit<TransactionQuery, 'accountId' | 'after'> {
  accountIds: readonly string[];
}

/**
 * One account's transactions as a whole, without rows: what listTransactions' page says of the whole
 * result (`totalPages`, `lastCursor`, the available bounds) for the same filters and page size.
 */
export interface TransactionSummary {
  accountId: string;
  totalPages: number;
  lastCursor: string | null;
  firstAvailableDateTime: Date | null;
  lastAvailableDateTime: Date | null;
}

export interface TransactionPage {
  transactions: BankTransaction[];
  /** Cursor of the next page, when there is one. */
  nextCursor: string | null;
  /** Cursor of the page just before this one (exactly the page whose `nextCursor` led here), when there is one. */
  prevCursor: string | null;
  /** Cursor of the final page (what is left after whole pages from the start), when there is more than one page. */
  lastCursor: string | null;
  /** Pages the whole (filtered) result spans. */
  totalPages: number;
  firstAvailableDateTime: Date | null;
  lastAvailableDateTime: Date | null;
}

/** The page of a result with no transactions. */
export const EMPTY_TRANSACTION_PAGE: TransactionPage = Object.freeze({
  transactions: [],
  nextCursor: null,
  prevCursor: null,
  lastCursor: null,
  totalPages: 0,
  firstAvailableDateTime: null,
  lastAvailableDateTime: null,
}) as TransactionPage;

/** A cursor that is not one this connector issued (tampered or from another query). */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const MAX_CURSOR_KEY_LENGTH = 256;
const EARLIEST_CURSOR_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');

/**
 * Whether a cursor read back carries a record or account id as issued ones could: a string of at most
 * `maxLength` (256) code units without control characters. A tampered one with a NUL, which PostgreSQL's
 * text cannot hold, would otherwise fail in the database (500) instead of being refused as a cursor not
 * issued here (400).
 */
export function isCursorKey(value: unknown, maxLength = MAX_CURSOR_KEY_LENGTH): value is string {
  return typeof value === 'string' && value.length <= maxLength && !/[\u0000-\u001f\u007f]/.test(value);
}

/**
 * Whether a cursor read back carries an instant as issued ones do: Date#toISOString's form, years 0001 to
 * 9999 (what PostgreSQL's timestamptz holds; JavaScript reads years up to ±271821, which PostgreSQL
 * refuses), with three more digits of microseconds where the instant is the database's own (a key of
 * timestamptz cut to milliseconds pointed before the row it was read from).
 */
export function isCursorInstant(value: unknown): value is string {
  const match = typeof value === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})(?:\d{3})?Z$/.exec(value) : null;
  if (!match) return false;
  const ms = Date.parse(`${match[1]}Z`);
  return ms >= EARLIEST_CURSOR_INSTANT && new Date(ms).toISOString() === `${match[1]}Z`;
}

/** A creditor account as the bank stores it; for scheme UK.OBIE.PAN the full card number (callers mask it). */
export interface BankCreditorAccount {
  schemeName: string;
  identification: string;
  name: string | null;
}

export interface BankBeneficiary {
  accountId: string;
  beneficiaryId: string;
  beneficiaryType: 'Trusted' | 'Ordinary' | null;
  reference: string | null;
  creditorAgent: { schemeName: string; identification: string } | null;
  creditorAccount: BankCreditorAccount;
}

export type MandateStatusCode = 'ACTV' | 'CANC' | 'EXPI' | 'SUSP';

export interface BankDirectDebit {
  accountId: string;
  directDebitId: string;
  statusCode: MandateStatusCode;
  mandateIdentification: string;
  /** OBFrequency6Code. */
  frequency: string;
  name: string;
  previousPaymentDateTime: Date | null;
  previousPaymentAmount: string | null;
  currency: string;
}

export interface BankStandingOrder {
  accountId: string;
  standingOrderId: string;
  statusCode: MandateStatusCode;
  frequency: string;
  reference: string | null;
  numberOfPayments: number | null;
  firstPaymentDateTime: Date;
  nextPaymentDateTime: Date | null;
  lastPaymentDateTime: Date | null;
  finalPaymentDateTime: Date | null;
  /** The payments' amount, each of them (first, next, last, final) unless `amounts` tells them apart. */
  amount: string;
  /**
   * Each payment's own amount where the order's terms give them (a standing order made through payment
   * initiation: a first, recurring and final amount): the next run's, the last booked run's and the final
   * one's, null where there is none.
   */
  amounts?: { first: string; next: string | null; last: string | null; final: string | null };
  currency: string;
  creditorAccount: BankCreditorAccount;
}

export interface BankScheduledPayment {
  accountId: string;
  scheduledPaymentId: string;
  scheduledPaymentDateTime: Date;
  scheduledType: 'Arrival' | 'Execution';
  reference: string | null;
  debtorReference: string | null;
  amount: string;
  currency: string;
  creditorAccount: BankCreditorAccount;
}

export interface BankStatement {
  accountId: string;
  statementId: string;
  statementReference: string | null;
  type: 'AccountClosure' | 'AccountOpening' | 'Annual' | 'Interim' | 'RegularPeriodic';
  startDateTime: Date;
  endDateTime: Date;
  creationDateTime: Date;
  description: string | null;
  /** Decimal strings, signed: a negative balance is in debit. */
  openingBalance: string;
  closingBalance: string;
  totalCredits: string;
  totalDebits: string;
  currency: string;
}

export interface StatementQuery {
  /** Statements ending at or after this instant. */
  from?: Date;
  /** Statements starting at or before this instant. */
  to?: Date;
  statementId?: string;
}

/** Which holders of the accounts a party list is about: every one, or only those in one role. */
export interface AccountPartyQuery {
  /** OBInternalAccountRole1Code, e.g. UK.OBIE.Principal; absent: every role. */
  accountRole?: string;
}

export interface BankParty {
  partyId: string;
  partyNumber: string | null;
  partyType: 'Delegate' | 'Joint' | 'Sole';
  name: string;
  fullLegalName: string | null;
  emailAddress: string | null;
  phone: string | null;
  mobile: string | null;
  address: { streetName: string | null; buildingNumber: string | null; postCode: string | null; townName: string | null; country: string | null } | null;
}

/** A party as a holder of one account. */
export interface BankAccountParty extends BankParty {
  accountId: string;
  /** OBInternalAccountRole1Code, e.g. UK.OBIE.Principal. */
  accountRole: string;
}

export interface BankProduct {
  accountId: string;
  productId: string;
  productName: string;
  productType: 'BusinessCurrentAccount' | 'CommercialCreditCard' | 'Other' | 'PersonalCurrentAccount' | 'SMELoan';
  secondaryProductId: string | null;
  marketingStateId: string | null;
}

export interface BankOffer {
  accountId: string;
  offerId: string;
  offerType: 'BalanceTransfer' | 'LimitIncrease' | 'MoneyTransfer' | 'Other' | 'PromotionalRate';
  description: string;
  startDateTime: Date | null;
  endDateTime: Date | null;
  rate: string | null;
  term: string | null;
  url: string | null;
  amount: string | null;
  fee: string | null;
  currency: string;
}

/**
 * The bank behind a connector cannot answer (network error, timeout, 5xx). The API reports the
 * connector's accounts as unavailable and serves the rest of a bulk call.
 */
export class ConnectorUnavailableError extends Error {
  override name = 'ConnectorUnavailableError';

  constructor(
    readonly connector: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A payment order the bank executes at once: the debtor's available balance (plus its overdraft
 * limit) is checked and debited in one atomic step, so concurrent orders can never overdraw it. The
 * `paymentId` makes it idempotent: the same id debits at most once, however often it is sent.
 */
export interface BankPaymentOrder {
  paymentId: string;
  debtorAccountId: string;
  /** Decimal string, positive (OB ActiveCurrencyAndAmount). */
  amount: string;
  currency: string;
  /** The payee; `secondaryIdentification` (a roll number) when the consent names one, for the bank to route by. */
  creditorAccount: { schemeName: string; identification: string; name: string; secondaryIdentification?: string };
  /** Shown to both parties as the transaction's reference (the EndToEndIdentification). */
  reference: string;
  /** Free text for the transaction (the remittance information), when there is one. */
  information: string | null;
}

/** ISO 20022 status reasons a payment order can be rejected with. */
export type BankPaymentRejection =
  /** AM04 InsufficientFunds: the available balance plus the overdraft limit does not cover it. */
  | 'AM04'
  /** AC06 BlockedAccount: the debtor account cannot be debited, or the payee's account at this bank credited (or is the debtor's). */
  | 'AC06'
  /** AM03 NotAllowedCurrency: the order's currency is not the debtor account's, or not the payee's account's at this bank. */
  | 'AM03'
  /** AM02 NotAllowedAmount: booking it would take a balance past what the ledger can hold. */
  | 'AM02';

export type BankPaymentResult =
  | { outcome: 'Accepted'; transactionId: string; bookingDateTime: Date }
  | { outcome: 'Rejected'; reason: BankPaymentRejection };

/** A record's place in a keyset-paged AIS list: its account, then its own id, compared as code units (SQL `COLLATE "C"`). */
export interface ListKey {
  accountId: string;
  id: string;
}

/**
 * One window of a keyset-paged AIS list, as a connector is asked for it: up to `limit` records in key
 * order (`asc`), strictly after `after` when given; or in reverse key order (`desc`), strictly before
 * `before` when given. The connector also counts the whole list and, with `position`, the records before a
 * key (where the page starts or ends), so pages, Links and Meta.TotalPages come without reading it all.
 */
export interface ListWindow {
  direction: 'asc' | 'desc';
  after?: ListKey;
  before?: ListKey;
  limit: number;
  /** Also count the records before `key` (and at it, when `inclusive`): where a page starts or ends. */
  position?: { key: ListKey; inclusive: boolean };
}

/** What a connector answers for a ListWindow. */
export interface ListSlice<T> {
  items: T[];
  /** Records of the whole list (every account asked). */
  total: number;
  /** Records before `position.key` (and at it, when inclusive); 0 when no position was asked. */
  position: number;
}

/** Where a page of an AIS list starts: after a key (Links.Next), before one (Links.Prev), or the final page (Links.Last). */
export type ListCursor = { kind: 'after' | 'before'; key: ListKey } | { kind: 'last' };

/** Largest page a connector is ever asked for, whatever the configuration says. */
export const MAX_PAGE_SIZE = 1000;

/**
 * How the resource server reads a bank's ledger. The built-in implementation reads the sandbox ledger
 * in PostgreSQL; a connector to a real core banking system or an upstream bank API implements the same
 * contract. Every list method takes account ids the caller is allowed to see and returns records in the
 * order of `accountIds`, then by their own id; ids the connector does not know are left out. A bank that
 * cannot be reached is a ConnectorUnavailableError, never an empty answer.
 */
export interface BankConnector {
  /** The `aspsp.connector` value whose banks this connector serves. */
  readonly name: string;
  listAccountsOfPsu(psuId: string): Promise<BankAccount[]>;
  findAccounts(accountIds: readonly string[]): Promise<BankAccount[]>;
  /** The accounts as an AIS list, keyed by (accountId, accountId). */
  listAccounts(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankAccount>>;
  /** Keyed by (accountId, type): the ISO code, which an account holds once. */
  listBalances(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankBalance>>;
  /** One account's transactions, keyset-paged. */
  listTransactions(query: TransactionQuery): Promise<TransactionPage>;
  /**
   * The summary of each account's transactions, in one read for all of them: one entry per account asked,
   * in the order asked (an account without transactions has `totalPages` 0). The bulk read asks it of
   * every consented account, and rows of the page it shows only.
   */
  summarizeTransactions(query: TransactionSummaryQuery): Promise<TransactionSummary[]>;
  listBeneficiaries(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankBeneficiary>>;
  listDirectDebits(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankDirectDebit>>;
  listStandingOrders(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankStandingOrder>>;
  listScheduledPayments(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankScheduledPayment>>;
  listStatements(accountIds: readonly string[], query: StatementQuery, window: ListWindow): Promise<ListSlice<BankStatement>>;
  listAccountParties(accountIds: readonly string[], query: AccountPartyQuery, window: ListWindow): Promise<ListSlice<BankAccountParty>>;
  /** The party the PSU is at this bank, found through one of the PSU's accounts there. */
  findPsuParty(psuId: string, accountIds: readonly string[]): Promise<BankParty | null>;
  listProducts(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankProduct>>;
  listOffers(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankOffer>>;
  /** Executes a payment order (see BankPaymentOrder): one atomic conditional debit, idempotent on paymentId. */
  initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult>;
  /** Whether the account's available balance plus overdraft covers `amount` now; never the balance itself. */
  confirmFunds(accountId: string, amount: string, currency: string): Promise<boolean>;
}
