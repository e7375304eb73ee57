import { DataSource, LedgerRead, LedgerReader, queryPrepared, queryPreparedArrays, queryPreparedIn } from '@consentry/database';

import {
  AccountPartyQuery,
  BalanceTypeCode,
  BankAccount,
  BankAccountParty,
  BankBalance,
  BankBeneficiary,
  BankConnector,
  BankCreditorAccount,
  BankDirectDebit,
  BankOffer,
  BankPaymentOrder,
  BankPaymentRejection,
  BankPaymentResult,
  BankParty,
  BankProduct,
  BankScheduledPayment,
  BankStandingOrder,
  BankStatement,
  ListSlice,
  ListWindow,
  BankTransaction,
  EMPTY_TRANSACTION_PAGE,
  InvalidCursorError,
  isCursorInstant,
  isCursorKey,
  MAX_PAGE_SIZE,
  StatementQuery,
  TransactionPage,
  TransactionQuery,
  TransactionSummary,
  TransactionSummaryQuery,
} from './bank-connector.js';
import { creditorPanContext, PAN_SCHEME, panContext, PanDecryptor } from './card-pan.js';

export const SANDBOX_LEDGER_CONNECTOR = 'sandbox-ledger';

/** numeric(18,5) comes back as '12.50000'; OB amounts are plain decimals without trailing zeros past cents. */
export function formatAmount(value: string): string {
  const start = value.startsWith('-') ? 1 : 0;
  const dot = value.indexOf('.');
  if (dot < 0) return `${value.slice(start)}.00`;
  // Trailing zeros go, down to two decimals (runs on every amount of every page: no regex, no split).
  let end = value.length;
  while (end > dot + 3 && value.charCodeAt(end - 1) === 48) end--;
  const decimals = end - dot - 1;
  return decimals >= 2 ? value.slice(start, end) : value.slice(start, end) + '0'.repeat(2 - decimals);
}

// The columns toTransaction reads, named: the page query is a prepared statement (see queryPreparedArrays).
const TRANSACTION_COLUMNS = [
  'transaction_id',
  'account_id',
  'transaction_reference',
  'amount',
  'currency',
  'credit_debit_indicator',
  'status',
  'booking_date_time',
  'value_date_time',
  'transaction_information',
  'bank_transaction_code',
  'bank_transaction_sub_code',
  'merchant_name',
  'merchant_category_code',
  'balance_after_amount',
] as const;

// A page row, read as an array (no object per row): the window's summary, the transaction's columns, then its
// booking time to the microsecond as the database holds it, for the page's cursors (BOOKING_KEY).
const PAGE_COLUMNS = ['summary_n', 'summary_first_ms', 'summary_last_ms', 'summary_beyond', ...TRANSACTION_COLUMNS, 'booking_key'] as const;
type PageColumn = (typeof PAGE_COLUMNS)[number];
type PageRow = unknown[];
const AT = Object.fromEntries(PAGE_COLUMNS.map((name, index) => [name, index])) as Record<PageColumn, number>;
// The select lists of the page query's two halves, written out once rather than on every read.
const PAGE_SELECT = TRANSACTION_COLUMNS.map((column) => `p.${column}`).join(', ');
const TRANSACTION_SELECT = TRANSACTION_COLUMNS.map((column) => `t.${column}`).join(', ');

/**
 * Where a page cursor points: after a transaction (Next), before one (Prev), or at the final page (Last).
 * A Next or Prev cursor names its account (`a`): another account's is refused (until 8 December 2026 it
 * read this account's transactions from the other's position).
 */
type Cursor = { d: 'n' | 'p'; a?: string; b: string; t: string } | { d: 'l' };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

// A booking time exactly as stored (timestamptz keeps microseconds; a Date only milliseconds): a key cut to
// milliseconds sorts before its own row, which the next page then repeated (and a page of rows within one
// millisecond came back as itself, taken for a bank that ignores cursors).
const BOOKING_KEY = `to_char(p.booking_date_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

function keyOf(d: 'n' | 'p', row: PageRow): string {
  return encodeCursor({ d, a: row[AT.account_id] as string, b: row[AT.booking_key] as string, t: row[AT.transaction_id] as string });
}

const LAST_CURSOR = encodeCursor({ d: 'l' });
/** Adds a transaction query's booking window (each bound inclusive, either one open) to `filters` and `params`. */
function addBookingWindow(filters: string[], params: unknown[], window: { from?: Date; to?: Date }): void {
  if (window.from) {
    params.push(window.from);
    filters.push(`t.booking_date_time >= $${params.length}`);
  }
  if (window.to) {
    params.push(window.to);
    filters.push(`t.booking_date_time <= $${params.length}`);
  }
}

/**
 * What a page, or a summary, says of the whole result: its pages of `pageSize`, the Last cursor when there
 * is more than one, and the bounds read as epoch milliseconds (anything else: none).
 */
function wholeResult(total: number, pageSize: number, firstMs: unknown, lastMs: unknown): Omit<TransactionSummary, 'accountId'> {
  const totalPages = Math.ceil(total / pageSize);
  return {
    totalPages,
    lastCursor: totalPages > 1 ? LAST_CURSOR : null,
    firstAvailableDateTime: typeof firstMs === 'number' ? new Date(firstMs) : null,
    lastAvailableDateTime: typeof lastMs === 'number' ? new Date(lastMs) : null,
  };
}

/** The cursor of a page of `accountId`'s transactions; one of another account, or not issued here, is InvalidCursorError. */
function decodeCursor(cursor: string, accountId: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { d?: unknown; a?: unknown; b?: unknown; t?: unknown };
    if (parsed.d === 'l') return { d: 'l' };
    // A cursor without `d` is a Next cursor issued before Prev and Last existed; one without `a`, a cursor
    // issued before it named its account.
    const d = parsed.d === undefined ? 'n' : parsed.d;
    if ((d === 'n' || d === 'p') && (parsed.a === undefined || parsed.a === accountId) && isCursorInstant(parsed.b) && isCursorKey(parsed.t)) {
      return { d, b: parsed.b, t: parsed.t };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('unrecognised page cursor');
}

type Row = Record<string, unknown>;

/**
 * An AIS list of the ledger, as sliceOf reads it: the table (alias `r`, holding `account_id`; joins for
 * what else the columns need) joined to its account's bank (`b`), the record id its keyset orders by
 * after the account, and the columns the mapper reads (never whole rows). Names are constants, never
 * caller input.
 */
interface ListSource {
  from: string;
  id: string;
  columns: string;
}

/**
 * A list's source; a column without a table alias is the list table's (`r`). The bank is reached through
 * the record's account, or straight from the account list's own rows (`ofAccounts`).
 */
function listSource(table: string, id: string, columns: readonly string[], ofAccounts = false): ListSource {
  const own = (column: string) => (column.includes('.') ? column : `r.${column}`);
  const bank = ofAccounts ? 'JOIN aspsp b ON b.aspsp_id = r.aspsp_id' : 'JOIN account a ON a.account_id = r.account_id JOIN aspsp b ON b.aspsp_id = a.aspsp_id';
  return { from: `${table} ${bank}`, id: own(id), columns: columns.map(own).join(', ') };
}

const CREDITOR_COLUMNS = ['creditor_scheme_name', 'creditor_identification', 'creditor_name'] as const;
const PARTY_COLUMNS = [
  'p.party_id',
  'p.party_number',
  'p.party_type',
  'p.name',
  'p.full_legal_name',
  'p.email_address',
  'p.phone',
  'p.mobile',
  'p.street_name',
  'p.building_number',
  'p.post_code',
  'p.town_name',
  'p.country',
] as const;
const ACCOUNT_COLUMNS = [
  'account_id',
  'aspsp_id',
  'status',
  'currency',
  'account_category',
  'account_type_code',
  'description',
  'nickname',
  'opening_date',
  'scheme_name',
  'identification',
  'holder_name',
] as const;
const ACCOUNT_SELECT = ACCOUNT_COLUMNS.map((column) => `a.${column}`).join(', ');

// Each list's source; the (account_id, id) `COLLATE "C"` keyset indexes of migrations 1765010000000 and
// 1765500000000 serve them.
const LISTS = {
  account: listSource('account r', 'account_id', ACCOUNT_COLUMNS, true),
  balance: listSource('balance r', 'type_code', ['account_id', 'type_code', 'amount', 'currency', 'credit_debit_indicator', 'date_time']),
  beneficiary: listSource('beneficiary r', 'beneficiary_id', [
    'account_id',
    'beneficiary_id',
    'beneficiary_type',
    'reference',
    'creditor_agent_scheme_name',
    'creditor_agent_identification',
    ...CREDITOR_COLUMNS,
  ]),
  directDebit: listSource('direct_debit r', 'direct_debit_id', [
    'account_id',
    'direct_debit_id',
    'status_code',
    'mandate_identification',
    'frequency',
    'name',
    'previous_payment_date_time',
    'previous_payment_amount',
    'currency',
  ]),
  standingOrder: listSource('standing_order r', 'standing_order_id', [
    'account_id',
    'standing_order_id',
    'status_code',
    'frequency',
    'reference',
    'number_of_payments',
    'first_payment_date_time',
    'next_payment_date_time',
    'last_payment_date_time',
    'final_payment_date_time',
    'amount',
    'currency',
    ...CREDITOR_COLUMNS,
  ]),
  scheduledPayment: listSource('scheduled_payment r', 'scheduled_payment_id', [
    'account_id',
    'scheduled_payment_id',
    'scheduled_payment_date_time',
    'scheduled_type',
    'reference',
    'debtor_reference',
    'amount',
    'currency',
    ...CREDITOR_COLUMNS,
  ]),
  statement: listSource('statement r', 'statement_id', [
    'account_id',
    'statement_id',
    'statement_reference',
    'type',
    'start_date_time',
    'end_date_time',
    'creation_date_time',
    'description',
    'opening_balance',
    'closing_balance',
    'total_credits',
    'total_debits',
    'currency',
  ]),
  accountParty: listSource('account_party r JOIN party p ON p.party_id = r.party_id', 'party_id', ['account_id', 'account_role', ...PARTY_COLUMNS]),
  product: listSource('product r', 'product_id', ['account_id', 'product_id', 'product_name', 'product_type', 'secondary_product_id', 'marketing_state_id']),
  offer: listSource('offer r', 'offer_id', [
    'account_id',
    'offer_id',
    'offer_type',
    'description',
    'start_date_time',
    'end_date_time',
    'rate',
    'term',
    'url',
    'amount',
    'fee',
    'currency',
  ]),
} satisfies Record<string, ListSource>;

/** A filter of a list beyond its accounts: SQL over `r` with `?` for its one parameter. */
type ListFilter = [sql: string, value: unknown];

/** A signed amount ('-12.50000' -> '-12.50'); statement balances keep their sign until mapped to OB. */
function signedAmount(value: string): string {
  return `${value.startsWith('-') ? '-' : ''}${formatAmount(value)}`;
}

// A balance row's signed value: the ledger keeps amounts non-negative with their direction beside them.
/**
 * The condition on a transaction's direction for the directions the consent permits (`param` holds them):
 * none when it permits both, as every transaction is one or the other (a CHECK), so that a page's count
 * of the account's transactions reads the (account_id, booking_date_time, transaction_id) index alone;
 * with the condition, each of the account's transactions was read from the table (79 ms at 100k in a probe).
 */
export function directionFilter(directions: readonly string[], param: string): string {
  return directions.includes('Credit') && directions.includes('Debit') ? `${param}::text[] IS NOT NULL` : `t.credit_debit_indicator = ANY(${param}::text[])`;
}

const SIGNED = `(CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)`;

// The payment debit: both interim balances move by the amount, but only if the available balance less the
// amount stays at or above minus the overdraft limit. One statement, run while the balance rows are locked.
// A balance row's SET moved by `change` (an SQL `- amount` or `+ amount`) at `at`: the amount stays
// non-negative with its direction beside it.
const movedBy = (change: string, at: string): string =>
  `amount = abs(${SIGNED} ${change}), credit_debit_indicator = CASE WHEN ${SIGNED} ${change} >= 0 THEN 'Credit' ELSE 'Debit' END, date_time = ${at}`;

// The columns of a booked transaction row.
const BOOKED_TRANSACTION = `transaction (transaction_id, account_id, transaction_reference, amount, currency, credit_debit_indicator, status,
  booking_date_time, value_date_time, transaction_information, bank_transaction_code, bank_transaction_sub_code, balance_after_amount)`;

// Booked at the database's clock when the statement starts: after the locks its transaction took first.
const CONDITIONAL_DEBIT = `
  UPDATE balance SET ${movedBy('- $2::numeric', 'statement_timestamp()')}
   WHERE account_id = $1 AND type IN ('InterimAvailable', 'InterimBooked')
     AND (SELECT ${SIGNED} FROM balance WHERE account_id = $1 AND type = 'InterimAvailable') - $2::numeric >= -$3::numeric
  RETURNING type, ${SIGNED}::text AS after, date_time AS at`;

const CREDIT = `
  UPDATE balance SET ${movedBy('+ $2::numeric', '$3')}
   WHERE account_id = $1 AND type IN ('InterimAvailable', 'InterimBooked')
  RETURNING type, ${SIGNED}::text AS after`;

const INSERT_PAYMENT_TRANSACTION = `
  INSERT INTO ${BOOKED_TRANSACTION}
  VALUES ($1, $2, $3, $4::numeric, $5, $6, 'BOOK', $7, $7, $8, $9, 'DomesticCreditTransfer', $10::numeric)`;

// What an order needs before the balance lock, in one round trip: whether its paymentId is already booked
// ($1) or was rejected, the debtor ($2) if it is this ledger's ($3), and the order's payee if it is an
// account of this ledger ($4: never for a card number, whose stored form is encrypted). `creditor_id` is
// the account to credit: enabled, in the order's currency ($7), never the debtor itself. `payee_refused`
// says why an account of this ledger named as the payee cannot be credited (PAYEE_REFUSALS): the order is
// then refused, never paid as if the payee were at another bank (a debit with no credit anywhere). One
// lookup serves both: an account that can be credited is preferred to one that cannot.
const ORDER_PARTIES = `
  SELECT (SELECT booking_date_time FROM transaction WHERE transaction_id = $1) AS done_at,
         (SELECT reason FROM ledger_rejected_payment WHERE payment_id = $1) AS rejected_reason,
         d.account_id AS debtor_id, d.currency, d.status, d.overdraft_limit::text AS overdraft_limit,
         CASE WHEN p.creditable THEN p.account_id END AS creditor_id,
         CASE WHEN p.creditable THEN NULL
              WHEN p.account_id = $2 THEN 'debtor'
              WHEN p.status <> 'Enabled' THEN 'not-enabled'
              WHEN p.account_id IS NOT NULL THEN 'currency' END AS payee_refused
    FROM (SELECT 1) AS one
    LEFT JOIN (account d JOIN aspsp db ON db.aspsp_id = d.aspsp_id AND db.connector = $3) ON d.account_id = $2
    LEFT JOIN LATERAL (
      SELECT c.account_id, c.status, (c.account_id <> $2 AND c.status = 'Enabled' AND c.currency = $7) AS creditable
        FROM account c JOIN aspsp cb ON cb.aspsp_id = c.aspsp_id
       WHERE $4::boolean AND c.scheme_name = $5 AND c.identification = $6 AND cb.connector = $3
       ORDER BY (c.account_id <> $2 AND c.status = 'Enabled' AND c.currency = $7) DESC, c.account_id = $2 DESC, c.account_id
       LIMIT 1) AS p ON true`;

// The order's parties, with the balance rows of the debtor and of a sandbox creditor locked in account-id
// order (payments crossing in opposite directions cannot deadlock), in one round trip. The debit that
// follows is a statement of its own, so its snapshot is taken after the locks are granted.
const ORDER_PARTIES_LOCKED = `
  WITH parties AS MATERIALIZED (${ORDER_PARTIES}),
  locked AS (
    SELECT 1 FROM balance WHERE account_id IN (SELECT debtor_id FROM parties UNION ALL SELECT creditor_id FROM parties)
     ORDER BY account_id, type FOR UPDATE)
  SELECT parties.*, (SELECT count(*) FROM locked) AS locked_rows FROM parties`;

// The debit and its booked transaction (the balance after it: the booked balance's), one round trip; no
// row at all when the funds check refuses it. `at` is when it was booked (the credit leg's time too).
const DEBIT_AND_BOOK = `
  WITH debited AS (${CONDITIONAL_DEBIT}),
  booked AS (
    INSERT INTO ${BOOKED_TRANSACTION}
    SELECT $4, $1, $5, $2::numeric, $6, 'Debit', 'BOOK', b.at, b.at, $7, 'IssuedCreditTransfers', 'DomesticCreditTransfer', b.after::numeric
      FROM (SELECT after, at FROM debited ORDER BY type = 'InterimBooked' DESC LIMIT 1) AS b)
  SELECT type, after, at FROM debited`;

// An order whose creditor is not this ledger's (no credit leg): its parties read, the debit and its booked
// transaction, in one statement on its own (atomic, no BEGIN or COMMIT round trip). The balance rows are
// locked by the UPDATEs themselves, InterimAvailable then InterimBooked (the order ORDER_PARTIES_LOCKED's
// lock takes), and only while the statement runs: the funds check is in the available balance's own
// WHERE, which PostgreSQL evaluates again on the row's latest version once a concurrent debit commits.
// `payable` is empty, and nothing is written, when the order is booked or rejected already, its debtor is
// not ours or not enabled, its currency is not the account's, or its payee is one of this ledger's accounts
// (to credit in initiatePaymentWithCredit, or refused). It is booked at the database's clock read once the
// available balance's row is this statement's (clock_timestamp() in its SET, which PostgreSQL evaluates again
// after waiting for a concurrent debit's commit): so the debits of one account are booked in the order they
// moved its balance, and each booked transaction's balance after it follows the one before (until 8
// December 2026 the time was read before the wait, and concurrent payments' running balances crossed).
const DEBIT_ALONE = `
  WITH parties AS MATERIALIZED (${ORDER_PARTIES}),
  payable AS MATERIALIZED (
    SELECT debtor_id, overdraft_limit::numeric AS overdraft_limit FROM parties
     WHERE done_at IS NULL AND rejected_reason IS NULL AND status = 'Enabled' AND trim(currency) = trim($7)
       AND creditor_id IS NULL AND payee_refused IS NULL),
  available AS (
    UPDATE balance SET ${movedBy('- $8::numeric', 'clock_timestamp()')}
     WHERE account_id = (SELECT debtor_id FROM payable) AND type = 'InterimAvailable'
       AND ${SIGNED} - $8::numeric >= -(SELECT overdraft_limit FROM payable)
    RETURNING ${SIGNED}::text AS after, date_time AS at),
  booked_balance AS (
    UPDATE balance SET ${movedBy('- $8::numeric', '(SELECT at FROM available)')}
     WHERE account_id = (SELECT debtor_id FROM payable) AND type = 'InterimBooked' AND EXISTS (SELECT 1 FROM available)
    RETURNING ${SIGNED}::text AS after),
  booked AS (
    INSERT INTO ${BOOKED_TRANSACTION}
    SELECT $1, $2, $9, $8::numeric, $7, 'Debit', 'BOOK', a.at, a.at, $10, 'IssuedCreditTransfers', 'DomesticCreditTransfer',
           coalesce((SELECT after FROM booked_balance), a.after)::numeric
      FROM available AS a)
  SELECT parties.*, (SELECT after FROM available) AS debited, (SELECT at FROM available) AS booked_at FROM parties`;

/** PostgreSQL's unique_violation: here, an order's transaction id booked by a concurrent execution. */
function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}

// SQLSTATE 22003: a balance or a transaction's balance after it would leave the ledger's numeric(18,5).
function isNumericOverflow(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '22003';
}

// A rejection, remembered: the same paymentId sent again is answered with it (the connector contract: a
// second call answers the first outcome), never executed later on funds that arrived since. The first
// reason stays when two executions of the order reject it at once.
const REMEMBER_REJECTION = `INSERT INTO ledger_rejected_payment (payment_id, reason, rejected_at) VALUES ($1, $2, now()) ON CONFLICT (payment_id) DO NOTHING`;

/** The rejection of the order `paymentId` with `reason`, remembered through `runner` (the pool, or the order's transaction). */
async function rejected(runner: { query: (sql: string, values: unknown[]) => Promise<unknown> }, paymentId: string, reason: BankPaymentRejection): Promise<BankPaymentResult> {
  await runner.query(REMEMBER_REJECTION, [paymentId, reason]);
  return { outcome: 'Rejected', reason };
}

/** The rejection a paymentId sent again is answered with, if the ledger rejected it before. */
function rejectedBefore(parties: Row): BankPaymentResult | null {
  return parties.rejected_reason ? { outcome: 'Rejected', reason: parties.rejected_reason as BankPaymentRejection } : null;
}

/** Why ORDER_PARTIES refuses a payee that is an account of this ledger (its `payee_refused`). */
type PayeeRefusal = 'debtor' | 'not-enabled' | 'currency';

/**
 * The rejection answered for each payee refusal: an order naming an account of this ledger that cannot
 * take the credit is refused before any debit. ISO 20022 AC06 BlockedAccount ("account specified is
 * blocked, prohibiting posting of transactions against it") for a payee that is not enabled (Disabled,
 * Deleted, Pending, ProForma) and for the debtor itself (the ledger posts no transfer from an account to
 * itself); AM03 NotAllowedCurrency for a payee held in another currency. The contract's codes
 * (BankPaymentRejection) are the four the API describes; AC03 InvalidCreditorAccountNumber would name the
 * debtor-as-payee case more exactly, once the contract carries it.
 */
const PAYEE_REFUSALS: Record<PayeeRefusal, BankPaymentRejection> = { debtor: 'AC06', 'not-enabled': 'AC06', currency: 'AM03' };

/** The payee refusal ORDER_PARTIES read, as its rejection; null when the payee may be paid. */
function payeeRefusal(parties: Row): BankPaymentRejection | null {
  // A refusal this code does not name is still a refusal: never paid as if the payee were elsewhere.
  return parties.payee_refused ? (PAYEE_REFUSALS[parties.payee_refused as PayeeRefusal] ?? 'AC06') : null;
}

// OBReadTransaction6 (AIS): TransactionInformation is 1 to 500 characters, TransactionReference 1 to 210.
// The ledger's text columns are unbounded, so what it books is cut here, where it is written.
const TRANSACTION_INFORMATION_MAX_LENGTH = 500;
const TRANSACTION_REFERENCE_MAX_LENGTH = 210;

/**
 * `text` cut to at most `maxLength` characters counted as Unicode code points, as JSON Schema's maxLength
 * counts them; a surrogate pair is never split.
 */
export function withinMaxLength(text: string, maxLength: number): string {
  // A string of at most maxLength UTF-16 code units holds at most that many code points.
  if (text.length <= maxLength) return text;
  let end = 0;
  for (let count = 0; count < maxLength && end < text.length; count++) {
    const high = text.charCodeAt(end);
    const pair = high >= 0xd800 && high <= 0xdbff && end + 1 < text.length && (text.charCodeAt(end + 1) & 0xfc00) === 0xdc00;
    end += pair ? 2 : 1;
  }
  return text.slice(0, end);
}

/** A booked transaction's TransactionInformation: the order's remittance text, else `otherwise`; never empty. */
function transactionInformation(order: BankPaymentOrder, otherwise: string): string {
  return withinMaxLength(order.information || otherwise, TRANSACTION_INFORMATION_MAX_LENGTH);
}

/** A booked transaction's TransactionReference: the order's reference (its EndToEndIdentification); null when empty. */
function transactionReference(order: BankPaymentOrder): string | null {
  return order.reference ? withinMaxLength(order.reference, TRANSACTION_REFERENCE_MAX_LENGTH) : null;
}

function bookedAfter(rows: Array<{ type: string; after: string }>): string | null {
  return rows.find((row) => row.type === 'InterimBooked')?.after ?? rows[0]?.after ?? null;
}

/**
 * The built-in ledger (tables account, balance, transaction) for banks whose `aspsp.connector` is
 * `sandbox-ledger`. Card numbers are stored encrypted and decrypted here, only when read.
 */
export class SandboxLedgerConnector implements BankConnector {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: PanDecryptor,
    /** The `aspsp.connector` value served; another name lets one ledger stand in for an upstream bank. */
    readonly name: string = SANDBOX_LEDGER_CONNECTOR,
    /**
     * Where the AIS reads (accounts, balances, transactions and the other lists) go when a read replica is
     * configured (DATABASE_READ_URL). Funds checks and payments always use `dataSource`, the primary.
     */
    private readonly replica?: LedgerReader,
  ) {}

  /** An AIS read: on the replica when one serves, else on the primary. */
  private ledger<T>(work: LedgerRead<T>): Promise<T> {
    return this.replica ? this.replica.read(work) : work(this.dataSource);
  }

  /**
   * Executes an order atomically. Without a credit leg here (the creditor is not one of this ledger's
   * accounts), one statement: DEBIT_ALONE reads the order's parties, debits with the funds check in the
   * available balance's WHERE and books the debit. With one, one transaction (initiatePaymentWithCredit):
   * the debtor's and the creditor's balance rows locked in account-id order, so payments crossing in
   * opposite directions cannot deadlock, then the debit, the credit and their transactions. The debit's
   * transaction id is the paymentId: a second execution finds it and debits nothing. A rejected order
   * moves no money; its rejection is remembered (ledger_rejected_payment), so it is answered again, never
   * paid later: AM02 when a balance would pass what the ledger holds (numeric(18,5)). A payee that is an
   * account of this ledger but cannot be credited (the debtor itself, not enabled, another currency:
   * PAYEE_REFUSALS) is refused before any debit, never paid as if it were at another bank.
   */
  async initiatePayment(order: BankPaymentOrder): Promise<BankPaymentResult> {
    // Card numbers are stored encrypted: a PAN creditor is never one of ours to credit.
    const creditorMayBeOurs = order.creditorAccount.schemeName !== PAN_SCHEME;
    let alone: Row;
    try {
      [alone] = (await queryPrepared(this.dataSource, DEBIT_ALONE, [
        order.paymentId,
        order.debtorAccountId,
        this.name,
        creditorMayBeOurs,
        order.creditorAccount.schemeName,
        order.creditorAccount.identification,
        order.currency,
        order.amount,
        transactionReference(order),
        transactionInformation(order, `Payment to ${order.creditorAccount.name}`),
      ])) as [Row];
    } catch (error) {
      if (isNumericOverflow(error)) return rejected(this.dataSource, order.paymentId, 'AM02');
      // The same order booked at this instant by another execution: the transaction below finds it booked.
      if (!isUniqueViolation(error)) throw error;
      return this.initiatePaymentWithCredit(order);
    }
    if (alone.done_at) return { outcome: 'Accepted', transactionId: order.paymentId, bookingDateTime: alone.done_at as Date };
    const before = rejectedBefore(alone);
    if (before) return before;
    if (!alone.debtor_id || alone.status !== 'Enabled') return rejected(this.dataSource, order.paymentId, 'AC06');
    if ((alone.currency as string).trim() !== order.currency) return rejected(this.dataSource, order.paymentId, 'AM03');
    const refused = payeeRefusal(alone);
    if (refused) return rejected(this.dataSource, order.paymentId, refused);
    // A credit leg at this ledger: the two accounts' rows are locked together, in the transaction below.
    if (alone.creditor_id) return this.initiatePaymentWithCredit(order);
    if (alone.debited === null) return rejected(this.dataSource, order.paymentId, 'AM04');
    return { outcome: 'Accepted', transactionId: order.paymentId, bookingDateTime: alone.booked_at as Date };
  }

  /**
   * The order as one transaction, for a creditor at this ledger (see initiatePayment). The same order
   * executed at this instant by another call reads as not booked yet (its statement's snapshot predates
   * the other's commit) and fails on the transaction's key, rolling back: once more, it reads as booked.
   */
  private async initiatePaymentWithCredit(order: BankPaymentOrder): Promise<BankPaymentResult> {
    try {
      return await this.debitAndCreditOnce(order);
    } catch (error) {
      if (isNumericOverflow(error)) return rejected(this.dataSource, order.paymentId, 'AM02');
      if (!isUniqueViolation(error)) throw error;
      try {
        return await this.debitAndCreditOnce(order);
      } catch (again) {
        if (isNumericOverflow(again)) return rejected(this.dataSource, order.paymentId, 'AM02');
        throw again;
      }
    }
  }

  private debitAndCreditOnce(order: BankPaymentOrder): Promise<BankPaymentResult> {
    return this.dataSource.transaction(async (manager) => {
      // One row always (the LEFT JOIN from one row): the debtor's columns are null when it is not ours.
      const [parties] = (await queryPreparedIn(manager, ORDER_PARTIES_LOCKED, [
        order.paymentId,
        order.debtorAccountId,
        this.name,
        order.creditorAccount.schemeName !== PAN_SCHEME,
        order.creditorAccount.schemeName,
        order.creditorAccount.identification,
        order.currency,
      ])) as [Row];
      if (parties.done_at) return { outcome: 'Accepted', transactionId: order.paymentId, bookingDateTime: parties.done_at as Date };
      const before = rejectedBefore(parties);
      if (before) return before;
      if (!parties.debtor_id || parties.status !== 'Enabled') return rejected(manager, order.paymentId, 'AC06');
      if ((parties.currency as string).trim() !== order.currency) return rejected(manager, order.paymentId, 'AM03');
      // Read again under the locks: a payee disabled since DEBIT_ALONE is refused here, never debited for.
      const refused = payeeRefusal(parties);
      if (refused) return rejected(manager, order.paymentId, refused);
      const creditorId = (parties.creditor_id as string | null) ?? null;
      const debited = await queryPreparedIn<{ type: string; after: string; at: Date }>(manager, DEBIT_AND_BOOK, [
        order.debtorAccountId,
        order.amount,
        parties.overdraft_limit,
        order.paymentId,
        transactionReference(order),
        order.currency,
        transactionInformation(order, `Payment to ${order.creditorAccount.name}`),
      ]);
      if (debited.length === 0) return rejected(manager, order.paymentId, 'AM04');
      // The credit leg at the debit's time: one transfer, one instant on both sides.
      const now = debited[0]!.at;
      if (creditorId) {
        const [credited]: [Array<{ type: string; after: string }>, number] = await manager.query(CREDIT, [creditorId, order.amount, now]);
        await manager.query(INSERT_PAYMENT_TRANSACTION, [
          `${order.paymentId}-credit`,
          creditorId,
          transactionReference(order),
          order.amount,
          order.currency,
          'Credit',
          now,
          transactionInformation(order, 'Payment received'),
          'ReceivedCreditTransfers',
          bookedAfter(credited),
        ]);
      }
      return { outcome: 'Accepted', transactionId: order.paymentId, bookingDateTime: now };
    });
  }

  async confirmFunds(accountId: string, amount: string, currency: string): Promise<boolean> {
    const rows: Array<{ covered: boolean }> = await this.dataSource.query(
      `SELECT ${SIGNED} - $2::numeric >= -a.overdraft_limit AS covered
         FROM balance bal JOIN account a ON a.account_id = bal.account_id JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE bal.account_id = $1 AND bal.type = 'InterimAvailable' AND a.currency = $3 AND a.status = 'Enabled' AND b.connector = $4`,
      [accountId, amount, currency, this.name],
    );
    return rows[0]?.covered === true;
  }

  async listAccountsOfPsu(psuId: string): Promise<BankAccount[]> {
    const rows: Row[] = await this.ledger((reads) => reads.query(
      `SELECT ${ACCOUNT_SELECT} FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE a.psu_id = $1 AND b.connector = $2 ORDER BY a.created_at, a.account_id`,
      [psuId, this.name],
    ));
    return rows.map((row) => this.toAccount(row));
  }

  async findAccounts(accountIds: readonly string[]): Promise<BankAccount[]> {
    if (accountIds.length === 0) return [];
    const rows: Row[] = await this.ledger((reads) => reads.query(
      `SELECT ${ACCOUNT_SELECT} FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE a.account_id = ANY($1::text[]) AND b.connector = $2`,
      [accountIds, this.name],
    ));
    const byId = new Map(rows.map((row) => [row.account_id as string, this.toAccount(row)]));
    return accountIds.flatMap((id) => byId.get(id) ?? []);
  }

  async listAccounts(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankAccount>> {
    const { rows, total, position } = await this.sliceOf(LISTS.account, accountIds, window);
    return { items: rows.map((row) => this.toAccount(row)), total, position };
  }

  async listBalances(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankBalance>> {
    const { rows, total, position } = await this.sliceOf(LISTS.balance, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      // The ISO code is the database's (a generated column, migration 1765500000000), so the list orders by it.
      type: row.type_code as BalanceTypeCode,
      amount: formatAmount(row.amount as string),
      currency: (row.currency as string).trim(),
      creditDebitIndicator: row.credit_debit_indicator as 'Credit' | 'Debit',
      dateTime: row.date_time as Date,
    }));
    return { items, total, position };
  }

  async listTransactions(query: TransactionQuery): Promise<TransactionPage> {
    if (query.creditDebitIndicators.length === 0) return EMPTY_TRANSACTION_PAGE;
    const filters = ['t.account_id = $1', directionFilter(query.creditDebitIndicators, '$2')];
    const params: unknown[] = [query.accountId, [...query.creditDebitIndicators]];
    addBookingWindow(filters, params, query);
    const where = filters.join(' AND ');
    const cursor = query.after ? decodeCursor(query.after, query.accountId) : null;
    const pageSize = Math.min(Math.max(1, query.pageSize), MAX_PAGE_SIZE);
    // Keyset paging on the (account_id, booking_date_time, transaction_id) index, in either direction:
    // stable under inserts. Forwards reads ascending after the key; backwards reads descending before it.
    let keyset = '';
    let order = 'ASC';
    let limit = pageSize + 1;
    // Whether anything lies on the far side of the cursor (before a Next page, after a Prev page).
    let beyond = 'false';
    if (cursor && cursor.d !== 'l') {
      const op = cursor.d === 'n' ? '>' : '<';
      params.push(cursor.b, cursor.t);
      const key = `($${params.length - 1}::timestamptz, $${params.length}::text)`;
      keyset = ` AND (t.booking_date_time, t.transaction_id) ${op} ${key}`;
      beyond = `coalesce(bool_or((t.booking_date_time, t.transaction_id) ${cursor.d === 'n' ? '<=' : '>='} ${key}), false)`;
      if (cursor.d === 'p') order = 'DESC';
    } else if (cursor?.d === 'l') {
      // The final page is what is left after whole pages from the start: at most a page, cut below once counted.
      order = 'DESC';
      limit = pageSize;
    }
    params.push(limit);
    // One statement: the window's size and bounds (for TotalPages and Meta) joined to the page itself.
    // The summary repeats on each row as plain numbers (epoch milliseconds), cheap to read; with no rows
    // in the page the LEFT JOIN still yields the summary.
    const rows: PageRow[] = await this.ledger((reads) =>
      queryPreparedArrays(
      reads,
      `SELECT s.n, s.first_ms, s.last_ms, s.beyond, ${PAGE_SELECT}, ${BOOKING_KEY}
         FROM (SELECT count(*)::int AS n,
                      floor(extract(epoch FROM min(t.booking_date_time)) * 1000)::float8 AS first_ms,
                      floor(extract(epoch FROM max(t.booking_date_time)) * 1000)::float8 AS last_ms,
                      ${beyond} AS beyond
                 FROM transaction t WHERE ${where}) s
         LEFT JOIN LATERAL (
           SELECT ${TRANSACTION_SELECT} FROM transaction t WHERE ${where}${keyset}
            ORDER BY t.booking_date_time ${order}, t.transaction_id ${order} LIMIT $${params.length}) p ON true`,
      params,
    ));
    const summary = rows[0];
    if (summary && summary[AT.transaction_id] === null) rows.length = 0;
    const total = (summary?.[AT.summary_n] as number | undefined) ?? 0;
    const beyondCursor = (summary?.[AT.summary_beyond] as boolean | undefined) ?? false;
    let shown: PageRow[];
    let hasNext: boolean;
    let hasPrev: boolean;
    if (cursor?.d === 'l') {
      const leftOver = total === 0 ? 0 : ((total - 1) % pageSize) + 1;
      shown = rows.slice(0, leftOver).reverse();
      hasNext = false;
      hasPrev = total > leftOver;
    } else if (cursor?.d === 'p') {
      shown = rows.slice(0, pageSize).reverse();
      hasPrev = rows.length > pageSize;
      hasNext = beyondCursor;
    } else {
      shown = rows.slice(0, pageSize);
      hasNext = rows.length > pageSize;
      hasPrev = beyondCursor;
    }
    const firstShown = shown[0];
    const lastShown = shown[shown.length - 1];
    return {
      transactions: shown.map((row) => this.toTransaction(row)),
      nextCursor: hasNext && lastShown ? keyOf('n', lastShown) : null,
      prevCursor: hasPrev && firstShown ? keyOf('p', firstShown) : null,
      ...wholeResult(total, pageSize, summary?.[AT.summary_first_ms], summary?.[AT.summary_last_ms]),
    };
  }

  async summarizeTransactions(query: TransactionSummaryQuery): Promise<TransactionSummary[]> {
    if (query.accountIds.length === 0) return [];
    const pageSize = Math.min(Math.max(1, query.pageSize), MAX_PAGE_SIZE);
    if (query.creditDebitIndicators.length === 0) return query.accountIds.map((accountId) => ({ accountId, ...wholeResult(0, pageSize, null, null) }));
    const filters = ['t.account_id = a.id', directionFilter(query.creditDebitIndicators, '$2')];
    const params: unknown[] = [[...query.accountIds], [...query.creditDebitIndicators]];
    addBookingWindow(filters, params, query);
    // One statement for every account, with listTransactions' filters: each account's count and bounds
    // through the (account_id, booking_date_time, transaction_id) index, in the order asked.
    const rows = await this.ledger((reads) =>
      queryPreparedArrays(
        reads,
        `SELECT a.id, s.n, s.first_ms, s.last_ms
           FROM unnest($1::text[]) WITH ORDINALITY AS a(id, ord)
           CROSS JOIN LATERAL (
             SELECT count(*)::int AS n,
                    floor(extract(epoch FROM min(t.booking_date_time)) * 1000)::float8 AS first_ms,
                    floor(extract(epoch FROM max(t.booking_date_time)) * 1000)::float8 AS last_ms
               FROM transaction t WHERE ${filters.join(' AND ')}) s
          ORDER BY a.ord`,
        params,
      ),
    );
    return rows.map(([accountId, n, firstMs, lastMs]) => ({ accountId: accountId as string, ...wholeResult(n as number, pageSize, firstMs, lastMs) }));
  }

  async listBeneficiaries(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankBeneficiary>> {
    const { rows, total, position } = await this.sliceOf(LISTS.beneficiary, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      beneficiaryId: row.beneficiary_id as string,
      beneficiaryType: (row.beneficiary_type as BankBeneficiary['beneficiaryType']) ?? null,
      reference: (row.reference as string | null) ?? null,
      creditorAgent:
        row.creditor_agent_scheme_name && row.creditor_agent_identification
          ? { schemeName: row.creditor_agent_scheme_name as string, identification: row.creditor_agent_identification as string }
          : null,
      creditorAccount: this.creditorOf(row, `beneficiary:${row.beneficiary_id as string}`),
    }));
    return { items, total, position };
  }

  async listDirectDebits(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankDirectDebit>> {
    const { rows, total, position } = await this.sliceOf(LISTS.directDebit, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      directDebitId: row.direct_debit_id as string,
      statusCode: row.status_code as BankDirectDebit['statusCode'],
      mandateIdentification: row.mandate_identification as string,
      frequency: row.frequency as string,
      name: row.name as string,
      previousPaymentDateTime: (row.previous_payment_date_time as Date | null) ?? null,
      previousPaymentAmount: row.previous_payment_amount === null ? null : formatAmount(row.previous_payment_amount as string),
      currency: (row.currency as string).trim(),
    }));
    return { items, total, position };
  }

  async listStandingOrders(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankStandingOrder>> {
    const { rows, total, position } = await this.sliceOf(LISTS.standingOrder, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      standingOrderId: row.standing_order_id as string,
      statusCode: row.status_code as BankStandingOrder['statusCode'],
      frequency: row.frequency as string,
      reference: (row.reference as string | null) ?? null,
      numberOfPayments: (row.number_of_payments as number | null) ?? null,
      firstPaymentDateTime: row.first_payment_date_time as Date,
      nextPaymentDateTime: (row.next_payment_date_time as Date | null) ?? null,
      lastPaymentDateTime: (row.last_payment_date_time as Date | null) ?? null,
      finalPaymentDateTime: (row.final_payment_date_time as Date | null) ?? null,
      amount: formatAmount(row.amount as string),
      currency: (row.currency as string).trim(),
      creditorAccount: this.creditorOf(row, `standing-order:${row.standing_order_id as string}`),
    }));
    return { items, total, position };
  }

  async listScheduledPayments(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankScheduledPayment>> {
    const { rows, total, position } = await this.sliceOf(LISTS.scheduledPayment, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      scheduledPaymentId: row.scheduled_payment_id as string,
      scheduledPaymentDateTime: row.scheduled_payment_date_time as Date,
      scheduledType: row.scheduled_type as BankScheduledPayment['scheduledType'],
      reference: (row.reference as string | null) ?? null,
      debtorReference: (row.debtor_reference as string | null) ?? null,
      amount: formatAmount(row.amount as string),
      currency: (row.currency as string).trim(),
      creditorAccount: this.creditorOf(row, `scheduled-payment:${row.scheduled_payment_id as string}`),
    }));
    return { items, total, position };
  }

  async listStatements(accountIds: readonly string[], query: StatementQuery, window: ListWindow): Promise<ListSlice<BankStatement>> {
    const filters: ListFilter[] = [];
    if (query.from) filters.push(['r.end_date_time >= ?', query.from]);
    if (query.to) filters.push(['r.start_date_time <= ?', query.to]);
    if (query.statementId) filters.push(['r.statement_id = ?', query.statementId]);
    const { rows, total, position } = await this.sliceOf(LISTS.statement, accountIds, window, filters);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      statementId: row.statement_id as string,
      statementReference: (row.statement_reference as string | null) ?? null,
      type: row.type as BankStatement['type'],
      startDateTime: row.start_date_time as Date,
      endDateTime: row.end_date_time as Date,
      creationDateTime: row.creation_date_time as Date,
      description: (row.description as string | null) ?? null,
      openingBalance: signedAmount(row.opening_balance as string),
      closingBalance: signedAmount(row.closing_balance as string),
      totalCredits: formatAmount(row.total_credits as string),
      totalDebits: formatAmount(row.total_debits as string),
      currency: (row.currency as string).trim(),
    }));
    return { items, total, position };
  }

  async listAccountParties(accountIds: readonly string[], query: AccountPartyQuery, window: ListWindow): Promise<ListSlice<BankAccountParty>> {
    const filters: ListFilter[] = query.accountRole ? [['r.account_role = ?', query.accountRole]] : [];
    const { rows, total, position } = await this.sliceOf(LISTS.accountParty, accountIds, window, filters);
    const items = rows.map((row) => ({ ...this.toParty(row), accountId: row.account_id as string, accountRole: row.account_role as string }));
    return { items, total, position };
  }

  async findPsuParty(psuId: string, accountIds: readonly string[]): Promise<BankParty | null> {
    const rows: Row[] = await this.ledger((reads) => reads.query(
      `SELECT ${PARTY_COLUMNS.join(', ')} FROM party p
         JOIN account_party ap ON ap.party_id = p.party_id
         JOIN account a ON a.account_id = ap.account_id JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE p.psu_id = $1 AND ap.account_id = ANY($2::text[]) AND b.connector = $3
        ORDER BY p.party_id LIMIT 1`,
      [psuId, accountIds, this.name],
    ));
    return rows[0] ? this.toParty(rows[0]) : null;
  }

  async listProducts(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankProduct>> {
    const { rows, total, position } = await this.sliceOf(LISTS.product, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      productId: row.product_id as string,
      productName: row.product_name as string,
      productType: row.product_type as BankProduct['productType'],
      secondaryProductId: (row.secondary_product_id as string | null) ?? null,
      marketingStateId: (row.marketing_state_id as string | null) ?? null,
    }));
    return { items, total, position };
  }

  async listOffers(accountIds: readonly string[], window: ListWindow): Promise<ListSlice<BankOffer>> {
    const { rows, total, position } = await this.sliceOf(LISTS.offer, accountIds, window);
    const items = rows.map((row) => ({
      accountId: row.account_id as string,
      offerId: row.offer_id as string,
      offerType: row.offer_type as BankOffer['offerType'],
      description: row.description as string,
      startDateTime: (row.start_date_time as Date | null) ?? null,
      endDateTime: (row.end_date_time as Date | null) ?? null,
      rate: (row.rate as string | null) ?? null,
      term: (row.term as string | null) ?? null,
      url: (row.url as string | null) ?? null,
      amount: row.amount === null ? null : formatAmount(row.amount as string),
      fee: row.fee === null ? null : formatAmount(row.fee as string),
      currency: (row.currency as string).trim(),
    }));
    return { items, total, position };
  }

  /**
   * One window of a ledger list's rows for the given accounts of this connector's banks, in (account id,
   * record id) order compared as code units, with the whole list's count and the count before a key:
   * the page and its position, never the rest of the rows. Served by the (account_id, id) `COLLATE "C"`
   * keyset indexes (migrations 1765010000000 and 1765500000000).
   */
  private async sliceOf(list: ListSource, accountIds: readonly string[], window: ListWindow, filters: readonly ListFilter[] = []): Promise<{ rows: Row[]; total: number; position: number }> {
    if (accountIds.length === 0) return { rows: [], total: 0, position: 0 };
    const params: unknown[] = [accountIds, this.name];
    const param = (value: unknown) => `$${params.push(value)}`;
    const key = `(r.account_id COLLATE "C", ${list.id} COLLATE "C")`;
    const scope = `FROM ${list.from}
        WHERE r.account_id COLLATE "C" = ANY($1::text[]) AND b.connector = $2${filters.map(([sql, value]) => ` AND ${sql.replace('?', param(value))}`).join('')}`;
    const scopeParams = [...params];
    const bound = window.direction === 'asc' ? window.after : window.before;
    const order = window.direction === 'asc' ? 'ASC' : 'DESC';
    const keyset = bound ? ` AND ${key} ${window.direction === 'asc' ? '>' : '<'} (${param(bound.accountId)}, ${param(bound.id)})` : '';
    const limit = Math.max(0, Math.min(window.limit, MAX_PAGE_SIZE + 1));
    const pageSql = `SELECT ${list.columns} ${scope}${keyset}
        ORDER BY r.account_id COLLATE "C" ${order}, ${list.id} COLLATE "C" ${order} LIMIT ${param(limit)}`;
    const pageParams = [...params];
    params.length = scopeParams.length;
    const at = window.position;
    const countSql = `SELECT count(*)::int AS total, ${at ? `count(*) FILTER (WHERE ${key} ${at.inclusive ? '<=' : '<'} (${param(at.key.accountId)}, ${param(at.key.id)}))::int` : '0'} AS position ${scope}`;
    return this.ledger(async (reads) => {
      const rows: Row[] = limit === 0 ? [] : await reads.query(pageSql, pageParams);
      const [counts] = (await reads.query(countSql, params)) as Array<{ total: number; position: number }>;
      return { rows, total: counts?.total ?? 0, position: counts?.position ?? 0 };
    });
  }

  private creditorOf(row: Row, owner: string): BankCreditorAccount {
    const schemeName = row.creditor_scheme_name as string;
    const stored = row.creditor_identification as string;
    return {
      schemeName,
      identification: schemeName === PAN_SCHEME ? this.keys.decrypt(stored, creditorPanContext(owner)) : stored,
      name: (row.creditor_name as string | null) ?? null,
    };
  }

  private toParty(row: Row): BankParty {
    const hasAddress = row.street_name || row.post_code || row.town_name;
    return {
      partyId: row.party_id as string,
      partyNumber: (row.party_number as string | null) ?? null,
      partyType: row.party_type as BankParty['partyType'],
      name: row.name as string,
      fullLegalName: (row.full_legal_name as string | null) ?? null,
      emailAddress: (row.email_address as string | null) ?? null,
      phone: (row.phone as string | null) ?? null,
      mobile: (row.mobile as string | null) ?? null,
      address: hasAddress
        ? {
            streetName: (row.street_name as string | null) ?? null,
            buildingNumber: (row.building_number as string | null) ?? null,
            postCode: (row.post_code as string | null) ?? null,
            townName: (row.town_name as string | null) ?? null,
            country: ((row.country as string | null) ?? null)?.trim() ?? null,
          }
        : null,
    };
  }

  private toAccount(row: Row): BankAccount {
    const accountId = row.account_id as string;
    const schemeName = row.scheme_name as string;
    const stored = row.identification as string;
    return {
      accountId,
      aspspId: row.aspsp_id as string,
      status: row.status as BankAccount['status'],
      currency: (row.currency as string).trim(),
      accountCategory: row.account_category as BankAccount['accountCategory'],
      accountTypeCode: row.account_type_code as string,
      description: (row.description as string | null) ?? null,
      nickname: (row.nickname as string | null) ?? null,
      openingDate: this.toDate(row.opening_date),
      schemeName,
      identification: schemeName === PAN_SCHEME ? this.keys.decrypt(stored, panContext(accountId)) : stored,
      holderName: row.holder_name as string,
    };
  }

  // pg returns a `date` column as a Date at local midnight; keep the calendar day only.
  private toDate(value: unknown): string | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Date) {
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
    }
    return String(value).slice(0, 10);
  }

  private toTransaction(row: PageRow): BankTransaction {
    const balanceAfter = row[AT.balance_after_amount] as string | null;
    const code = row[AT.bank_transaction_code] as string | null;
    const subCode = row[AT.bank_transaction_sub_code] as string | null;
    return {
      transactionId: row[AT.transaction_id] as string,
      accountId: row[AT.account_id] as string,
      transactionReference: (row[AT.transaction_reference] as string | null) ?? null,
      amount: formatAmount(row[AT.amount] as string),
      currency: (row[AT.currency] as string).trim(),
      creditDebitIndicator: row[AT.credit_debit_indicator] as 'Credit' | 'Debit',
      status: row[AT.status] as BankTransaction['status'],
      bookingDateTime: row[AT.booking_date_time] as Date,
      valueDateTime: (row[AT.value_date_time] as Date | null) ?? null,
      transactionInformation: (row[AT.transaction_information] as string | null) ?? null,
      bankTransactionCode: code && subCode ? { code, subCode } : null,
      merchantName: (row[AT.merchant_name] as string | null) ?? null,
      merchantCategoryCode: (row[AT.merchant_category_code] as string | null) ?? null,
      balanceAfter:
        balanceAfter === null
          ? null
          : { amount: formatAmount(balanceAfter), creditDebitIndicator: balanceAfter.startsWith('-') ? 'Debit' : 'Credit' },
    };
  }
}
