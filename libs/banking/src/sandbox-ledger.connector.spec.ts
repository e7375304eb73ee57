import { randomUUID } from 'node:crypto';

import { createTestDatabase, queryPlan, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { serveBankConnector } from '../test-support/index.js';
import { BankConnector, BankPaymentOrder } from './bank-connector.js';
import { HttpBankConnector } from './http-bank.connector.js';
import { directionFilter, formatAmount, SandboxLedgerConnector, withinMaxLength } from './sandbox-ledger.connector.js';

describe('formatAmount', () => {
  it.each([
    ['12.50000', '12.50'],
    ['1200.00000', '1200.00'],
    ['0.12345', '0.12345'],
    ['-3.10000', '3.10'],
    ['7', '7.00'],
    ['-7.5', '7.50'],
    ['100.10', '100.10'],
    ['0.00000', '0.00'],
  ])('formats %s as %s', (input, output) => expect(formatAmount(input)).toBe(output));
});

describe('directionFilter: the transactions a page counts', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('ledger-direction-plan');
  });
  afterAll(async () => db?.drop());

  it('counts an account\'s transactions of both directions from the index alone, and of one direction with its filter', async () => {
    const count = (directions: string[]) => `SELECT count(*) FROM transaction t WHERE t.account_id = $1 AND ${directionFilter(directions, '$2')}`;
    // Until 7 December 2026 the direction was always a condition, so each transaction was read from the table to be counted.
    const both = await queryPlan(db.dataSource, count(['Credit', 'Debit']), ['acc-1', ['Credit', 'Debit']], { seqScans: false });
    expect(both.map((node) => node['Node Type'])).toContain('Index Only Scan');
    const credits = await queryPlan(db.dataSource, count(['Credit']), ['acc-1', ['Credit']], { seqScans: false });
    expect(credits.map((node) => node['Node Type'])).not.toContain('Index Only Scan');
  });
});

describe('withinMaxLength', () => {
  it('keeps a text of at most the length whole', () => {
    expect(withinMaxLength('Flat 2 rent', 500)).toBe('Flat 2 rent');
    expect(withinMaxLength('x'.repeat(500), 500)).toBe('x'.repeat(500));
  });

  it('cuts to the length in code points, as JSON Schema’s maxLength counts, never inside a surrogate pair', () => {
    expect(withinMaxLength('x'.repeat(501), 500)).toBe('x'.repeat(500));
    // 400 emoji are 800 UTF-16 code units but 400 code points: within 500.
    const emoji = '😀'.repeat(400);
    expect(withinMaxLength(emoji, 500)).toBe(emoji);
    // The 500th code point is an emoji: it is kept whole, not half of it.
    const cut = withinMaxLength(`${'x'.repeat(499)}😀😀`, 500);
    expect(cut).toBe(`${'x'.repeat(499)}😀`);
    expect([...cut]).toHaveLength(500);
    expect(withinMaxLength('😀'.repeat(600), 500)).toBe('😀'.repeat(500));
  });
});

/** A payee at another bank: the ledger debits without a credit leg. */
const ELSEWHERE = { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '40400499999999', name: 'Elsewhere' };
const SORT_CODE = 'UK.OBIE.SortCodeAccountNumber';

/** Nothing here is a card account: the ledger never has a PAN to decrypt. */
const NO_PANS = {
  decrypt(): string {
    throw new Error('no card numbers in this ledger');
  },
};

/**
 * The ledger's payments to an account of its own that cannot take the credit, and the text it books, on a
 * real database of its own: directly, and behind the connector protocol (the reference connector server
 * wraps the same ledger), which must answer the same.
 */
describe.each([
  ['SandboxLedgerConnector', false],
  ['HttpBankConnector through the connector server', true],
])('SandboxLedgerConnector payments: %s', (_name, overHttp) => {
  let db: TestDatabase;
  let connector: BankConnector;
  let close: () => Promise<void> = async () => {};
  const debtor = 'acc-alice-current';
  const payee = 'acc-bob-current';
  const payeeInEuros = 'acc-bob-euro';
  const identification: Record<string, string> = {
    [debtor]: '40400411111111',
    [payee]: '40400422222222',
    [payeeInEuros]: '40400433333333',
  };

  /** The account's interim balances as signed decimals. */
  async function ledgerOf(accountId: string): Promise<{ available: string; booked: string }> {
    const rows: Array<{ type: string; signed: string }> = await db.dataSource.query(
      `SELECT type, (CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS signed FROM balance WHERE account_id = $1`,
      [accountId],
    );
    const of = (type: string) => formatAmount(rows.find((row) => row.type === type)!.signed);
    return { available: of('InterimAvailable'), booked: of('InterimBooked') };
  }

  async function transactionsOf(paymentId: string): Promise<Array<{ transaction_id: string; account_id: string }>> {
    return db.dataSource.query(`SELECT transaction_id, account_id FROM transaction WHERE transaction_id IN ($1, $2) ORDER BY transaction_id`, [
      paymentId,
      `${paymentId}-credit`,
    ]);
  }

  async function rememberedRejection(paymentId: string): Promise<string | null> {
    const rows: Array<{ reason: string }> = await db.dataSource.query(`SELECT reason FROM ledger_rejected_payment WHERE payment_id = $1`, [paymentId]);
    return rows[0]?.reason ?? null;
  }

  function order(to: string | typeof ELSEWHERE, overrides: Partial<BankPaymentOrder> = {}): BankPaymentOrder {
    return {
      paymentId: `pay-${randomUUID()}`,
      debtorAccountId: debtor,
      amount: '100.00',
      currency: 'GBP',
      creditorAccount: typeof to === 'string' ? { schemeName: SORT_CODE, identification: identification[to]!, name: 'Payee' } : to,
      reference: 'SPEC-REF',
      information: 'Flat 2 rent',
      ...overrides,
    };
  }

  beforeAll(async () => {
    db = await createTestDatabase(overHttp ? 'ledger-payee-http' : 'ledger-payee');
    await db.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('spec-bank', 'Spec Bank', 'sandbox-ledger')`);
    const [{ psu_id: psuId }]: Array<{ psu_id: string }> = await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('spec', 'Spec', 'x', 'x') RETURNING psu_id`,
    );
    for (const [accountId, currency] of [
      [debtor, 'GBP'],
      [payee, 'GBP'],
      [payeeInEuros, 'EUR'],
    ] as const) {
      await db.dataSource.query(
        `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
         VALUES ($1, 'spec-bank', $2, $3, 'Personal', 'CACC', $4, $5, 'Holder')`,
        [accountId, psuId, currency, SORT_CODE, identification[accountId]],
      );
      await db.dataSource.query(
        `INSERT INTO balance (account_id, type, amount, currency, credit_debit_indicator, date_time)
         SELECT $1, type, 0, $2, 'Credit', now() FROM unnest(ARRAY['InterimAvailable', 'InterimBooked']) AS type`,
        [accountId, currency],
      );
    }
    const ledger = new SandboxLedgerConnector(db.dataSource, NO_PANS);
    if (overHttp) {
      const server = await serveBankConnector(ledger, { token: 'connector-spec-secret-0123456789' });
      close = server.close;
      connector = new HttpBankConnector({ name: 'sandbox-ledger', baseUrl: server.url, token: 'connector-spec-secret-0123456789', timeoutMs: 5000 });
    } else {
      connector = ledger;
    }
  }, 60_000);
  afterAll(async () => {
    await close();
    await db?.drop();
  });

  beforeEach(async () => {
    await db.dataSource.query(`UPDATE account SET status = 'Enabled', overdraft_limit = 0`);
    await db.dataSource.query(`UPDATE balance SET amount = 1000, credit_debit_indicator = 'Credit'`);
  });

  it('rejects a payment to the debtor account itself with AC06, debiting nothing and booking nothing', async () => {
    const payment = order(debtor);
    expect(await connector.initiatePayment(payment)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    expect(await ledgerOf(debtor)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect(await transactionsOf(payment.paymentId)).toEqual([]);
    expect(await rememberedRejection(payment.paymentId)).toBe('AC06');
  });

  it.each(['Disabled', 'Deleted', 'Pending', 'ProForma'])('rejects a payment to an account of this ledger that is %s with AC06, debiting nobody', async (status) => {
    await db.dataSource.query(`UPDATE account SET status = $2 WHERE account_id = $1`, [payee, status]);
    const payment = order(payee);
    expect(await connector.initiatePayment(payment)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    expect(await ledgerOf(debtor)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect(await ledgerOf(payee)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect(await transactionsOf(payment.paymentId)).toEqual([]);
    expect(await rememberedRejection(payment.paymentId)).toBe('AC06');
  });

  it('rejects a payment to an account of this ledger held in another currency with AM03, debiting nobody', async () => {
    const payment = order(payeeInEuros);
    expect(await connector.initiatePayment(payment)).toEqual({ outcome: 'Rejected', reason: 'AM03' });
    expect(await ledgerOf(debtor)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect(await ledgerOf(payeeInEuros)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect(await transactionsOf(payment.paymentId)).toEqual([]);
  });

  it('answers a payment refused for its payee, sent again once the payee is enabled, with the same rejection and no debit', async () => {
    await db.dataSource.query(`UPDATE account SET status = 'Disabled' WHERE account_id = $1`, [payee]);
    const disabledPayee = order(payee);
    const toItself = order(debtor);
    expect(await connector.initiatePayment(disabledPayee)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    expect(await connector.initiatePayment(toItself)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    await db.dataSource.query(`UPDATE account SET status = 'Enabled' WHERE account_id = $1`, [payee]);
    // The same payment ids again (a re-drive of payments whose outcome was lost): refused again, never paid.
    expect(await connector.initiatePayment(disabledPayee)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    expect(await connector.initiatePayment({ ...toItself, creditorAccount: disabledPayee.creditorAccount })).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    expect(await ledgerOf(debtor)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect(await ledgerOf(payee)).toEqual({ available: '1000.00', booked: '1000.00' });
    expect([...(await transactionsOf(disabledPayee.paymentId)), ...(await transactionsOf(toItself.paymentId))]).toEqual([]);
  });

  it('still pays an enabled payee of this ledger with a credit leg, and a payee at another bank with the debit alone', async () => {
    const credited = order(payee);
    const elsewhere = order(ELSEWHERE, { amount: '50.00' });
    expect(await connector.initiatePayment(credited)).toMatchObject({ outcome: 'Accepted', transactionId: credited.paymentId });
    expect(await connector.initiatePayment(elsewhere)).toMatchObject({ outcome: 'Accepted', transactionId: elsewhere.paymentId });
    expect(await ledgerOf(debtor)).toEqual({ available: '850.00', booked: '850.00' });
    expect(await ledgerOf(payee)).toEqual({ available: '1100.00', booked: '1100.00' });
    expect(await transactionsOf(credited.paymentId)).toEqual([
      { transaction_id: credited.paymentId, account_id: debtor },
      { transaction_id: `${credited.paymentId}-credit`, account_id: payee },
    ]);
    expect(await transactionsOf(elsewhere.paymentId)).toEqual([{ transaction_id: elsewhere.paymentId, account_id: debtor }]);
  });

  it('books remittance information longer than OB’s 500 characters cut to 500 code points, on both legs and on the debit alone', async () => {
    // Ten 140-character Unstructured lines joined: 1,409 characters, the fourth line of emoji (outside the BMP,
    // two UTF-16 code units each) across the 500th.
    const information = Array.from({ length: 10 }, (_, line) => (line === 3 ? '😀'.repeat(140) : `line ${line} `.padEnd(140, 'r'))).join(' ');
    expect([...information]).toHaveLength(1_409);
    const expected = [...information].slice(0, 500).join('');
    expect(expected.endsWith('😀')).toBe(true);
    const credited = order(payee, { information });
    const elsewhere = order(ELSEWHERE, { information: `${'x'.repeat(499)}😀😀`, reference: 'R'.repeat(300) });
    for (const payment of [credited, elsewhere]) expect(await connector.initiatePayment(payment)).toMatchObject({ outcome: 'Accepted' });

    const debits = await connector.listTransactions({ accountId: debtor, creditDebitIndicators: ['Debit'], pageSize: 100 });
    const debit = debits.transactions.find((t) => t.transactionId === credited.paymentId)!;
    expect(debit.transactionInformation).toBe(expected);
    const credits = await connector.listTransactions({ accountId: payee, creditDebitIndicators: ['Credit'], pageSize: 100 });
    expect(credits.transactions.find((t) => t.transactionId === `${credited.paymentId}-credit`)!.transactionInformation).toBe(expected);
    const alone = debits.transactions.find((t) => t.transactionId === elsewhere.paymentId)!;
    expect(alone.transactionInformation).toBe(`${'x'.repeat(499)}😀`);
    // TransactionReference: at most 210 characters.
    expect(alone.transactionReference).toBe('R'.repeat(210));
    for (const transaction of [debit, alone]) expect([...transaction.transactionInformation!].length).toBeLessThanOrEqual(500);
  });

  it('books the payee’s name when the remittance information is empty, never an empty TransactionInformation', async () => {
    const payment = order(ELSEWHERE, { information: '' });
    expect(await connector.initiatePayment(payment)).toMatchObject({ outcome: 'Accepted' });
    const [row]: Array<{ transaction_information: string }> = await db.dataSource.query(`SELECT transaction_information FROM transaction WHERE transaction_id = $1`, [
      payment.paymentId,
    ]);
    expect(row!.transaction_information).toBe('Payment to Elsewhere');
  });

  it('pages booking times the database holds to the microsecond without repeating or skipping a row, both ways', async () => {
    // Until 7 December 2026 the cursor held the time cut to milliseconds: each page began with the row that
    // ended the one before, and a page of rows within one millisecond came back as itself (a 500 at the API).
    await db.dataSource.query(`DELETE FROM transaction WHERE account_id = $1`, [payee]);
    await db.dataSource.query(
      `INSERT INTO transaction (transaction_id, account_id, transaction_reference, amount, currency, credit_debit_indicator, status, booking_date_time, value_date_time, bank_transaction_code, bank_transaction_sub_code)
       SELECT 'micro-' || lpad(n::text, 2, '0'), $1, 'REF', 1, 'GBP', 'Credit', 'BOOK', b, b, 'ReceivedCreditTransfers', 'DomesticCreditTransfer'
         FROM generate_series(1, 21) AS n,
              LATERAL (SELECT CASE WHEN n <= 11 THEN timestamptz '2030-01-01 00:00:00.123456Z'
                                   ELSE timestamptz '2030-01-01 00:00:00.000700Z' + (n - 11) * interval '1 second' END AS b) AS t`,
      [payee],
    );
    const page = (after?: string) => connector.listTransactions({ accountId: payee, creditDebitIndicators: ['Credit'], pageSize: 4, ...(after ? { after } : {}) });
    const forwards: string[] = [];
    let cursor: string | undefined;
    let last: Awaited<ReturnType<typeof page>> | undefined;
    for (let pages = 0; pages < 10; pages++) {
      last = await page(cursor);
      forwards.push(...last.transactions.map((t) => t.transactionId));
      if (!last.nextCursor) break;
      cursor = last.nextCursor;
    }
    const expected = Array.from({ length: 21 }, (_, i) => `micro-${String(i + 1).padStart(2, '0')}`);
    expect(forwards).toEqual(expected);
    const backwards: string[] = [];
    for (let pages = 0; pages < 10 && last?.prevCursor; pages++) {
      last = await page(last.prevCursor);
      backwards.unshift(...last.transactions.map((t) => t.transactionId));
    }
    expect(backwards).toEqual(expected.slice(0, 20));
  });
});
