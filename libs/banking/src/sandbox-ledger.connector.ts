import { DataSource } from '@consentry/database';

import {
  BalanceTypeCode,
  BankAccount,
  BankBalance,
  BankConnector,
  BankTransaction,
  InvalidCursorError,
  TransactionPage,
  TransactionQuery,
} from './bank-connector.js';
import { PAN_SCHEME, panContext, PanDecryptor } from './card-pan.js';

export const SANDBOX_LEDGER_CONNECTOR = 'sandbox-ledger';

// The ledger stores readable balance names; the OB v4.0 wire uses ISO ExternalBalanceType1Code.
const BALANCE_TYPES: Record<string, BalanceTypeCode> = {
  ClosingAvailable: 'CLAV',
  ClosingBooked: 'CLBD',
  ForwardAvailable: 'FWAV',
  Information: 'INFO',
  InterimAvailable: 'ITAV',
  InterimBooked: 'ITBD',
  OpeningAvailable: 'OPAV',
  OpeningBooked: 'OPBD',
  PreviouslyClosedBooked: 'PRCD',
  Expected: 'XPCD',
};

/** numeric(18,5) comes back as '12.50000'; OB amounts are plain decimals without trailing zeros past cents. */
export function formatAmount(value: string): string {
  const [whole, fraction = ''] = value.replace(/^-/, '').split('.');
  const trimmed = fraction.replace(/0+$/, '').padEnd(2, '0');
  return `${whole}.${trimmed}`;
}

interface Cursor {
  b: string;
  t: string;
}

function encodeCursor(transaction: BankTransaction): string {
  return Buffer.from(JSON.stringify({ b: transaction.bookingDateTime.toISOString(), t: transaction.transactionId } satisfies Cursor)).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof parsed.b === 'string' && typeof parsed.t === 'string' && !Number.isNaN(Date.parse(parsed.b))) return { b: parsed.b, t: parsed.t };
  } catch {
    // fall through
  }
  throw new InvalidCursorError('unrecognised page cursor');
}

type Row = Record<string, unknown>;

/**
 * The built-in ledger (tables account, balance, transaction) for banks whose `aspsp.connector` is
 * `sandbox-ledger`. Card numbers are stored encrypted and decrypted here, only when read.
 */
export class SandboxLedgerConnector implements BankConnector {
  readonly name = SANDBOX_LEDGER_CONNECTOR;

  constructor(
    private readonly dataSource: DataSource,
    private readonly keys: PanDecryptor,
  ) {}

  async listAccountsOfPsu(psuId: string): Promise<BankAccount[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT a.* FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE a.psu_id = $1 AND b.connector = $2 ORDER BY a.created_at, a.account_id`,
      [psuId, this.name],
    );
    return rows.map((row) => this.toAccount(row));
  }

  async findAccounts(accountIds: readonly string[]): Promise<BankAccount[]> {
    if (accountIds.length === 0) return [];
    const rows: Row[] = await this.dataSource.query(
      `SELECT a.* FROM account a JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE a.account_id = ANY($1::text[]) AND b.connector = $2`,
      [accountIds, this.name],
    );
    const byId = new Map(rows.map((row) => [row.account_id as string, this.toAccount(row)]));
    return accountIds.flatMap((id) => byId.get(id) ?? []);
  }

  async listBalances(accountIds: readonly string[]): Promise<BankBalance[]> {
    if (accountIds.length === 0) return [];
    const rows: Row[] = await this.dataSource.query(
      `SELECT bal.* FROM balance bal JOIN account a ON a.account_id = bal.account_id JOIN aspsp b ON b.aspsp_id = a.aspsp_id
        WHERE bal.account_id = ANY($1::text[]) AND b.connector = $2
        ORDER BY array_position($1::text[], bal.account_id), bal.type`,
      [accountIds, this.name],
    );
    return rows.map((row) => ({
      accountId: row.account_id as string,
      type: BALANCE_TYPES[row.type as string] ?? 'INFO',
      amount: formatAmount(row.amount as string),
      currency: (row.currency as string).trim(),
      creditDebitIndicator: row.credit_debit_indicator as 'Credit' | 'Debit',
      dateTime: row.date_time as Date,
    }));
  }

  async listTransactions(query: TransactionQuery): Promise<TransactionPage> {
    if (query.creditDebitIndicators.length === 0) {
      return { transactions: [], nextCursor: null, totalPages: 0, firstAvailableDateTime: null, lastAvailableDateTime: null };
    }
    const filters = ['t.account_id = $1', 't.credit_debit_indicator = ANY($2::text[])'];
    const params: unknown[] = [query.accountId, [...query.creditDebitIndicators]];
    if (query.from) {
      params.push(query.from);
      filters.push(`t.booking_date_time >= $${params.length}`);
    }
    if (query.to) {
      params.push(query.to);
      filters.push(`t.booking_date_time <= $${params.length}`);
    }
    const where = filters.join(' AND ');
    const [summary]: Row[] = await this.dataSource.query(
      `SELECT count(*)::int AS n, min(t.booking_date_time) AS first, max(t.booking_date_time) AS last
         FROM transaction t WHERE ${where}`,
      params,
    );
    const pageParams = [...params];
    let keyset = '';
    if (query.after) {
      const cursor = decodeCursor(query.after);
      pageParams.push(new Date(cursor.b), cursor.t);
      // Keyset paging on the (account_id, booking_date_time, transaction_id) index: stable under inserts.
      keyset = ` AND (t.booking_date_time, t.transaction_id) > ($${pageParams.length - 1}, $${pageParams.length})`;
    }
    pageParams.push(query.pageSize + 1);
    const rows: Row[] = await this.dataSource.query(
      `SELECT t.* FROM transaction t WHERE ${where}${keyset}
        ORDER BY t.booking_date_time, t.transaction_id LIMIT $${pageParams.length}`,
      pageParams,
    );
    const transactions = rows.slice(0, query.pageSize).map((row) => this.toTransaction(row));
    const hasMore = rows.length > query.pageSize;
    const total = (summary?.n as number | undefined) ?? 0;
    return {
      transactions,
      nextCursor: hasMore ? encodeCursor(transactions[transactions.length - 1]!) : null,
      totalPages: Math.ceil(total / query.pageSize),
      firstAvailableDateTime: (summary?.first as Date | null | undefined) ?? null,
      lastAvailableDateTime: (summary?.last as Date | null | undefined) ?? null,
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

  private toTransaction(row: Row): BankTransaction {
    const balanceAfter = row.balance_after_amount as string | null;
    const code = row.bank_transaction_code as string | null;
    const subCode = row.bank_transaction_sub_code as string | null;
    return {
      transactionId: row.transaction_id as string,
      accountId: row.account_id as string,
      transactionReference: (row.transaction_reference as string | null) ?? null,
      amount: formatAmount(row.amount as string),
      currency: (row.currency as string).trim(),
      creditDebitIndicator: row.credit_debit_indicator as 'Credit' | 'Debit',
      status: row.status as BankTransaction['status'],
      bookingDateTime: row.booking_date_time as Date,
      valueDateTime: (row.value_date_time as Date | null) ?? null,
      transactionInformation: (row.transaction_information as string | null) ?? null,
      bankTransactionCode: code && subCode ? { code, subCode } : null,
      merchantName: (row.merchant_name as string | null) ?? null,
      merchantCategoryCode: (row.merchant_category_code as string | null) ?? null,
      balanceAfter:
        balanceAfter === null
          ? null
          : { amount: formatAmount(balanceAfter), creditDebitIndicator: balanceAfter.startsWith('-') ? 'Debit' : 'Credit' },
    };
  }
}
