import { randomUUID } from 'node:crypto';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { BankConnector, BankPaymentOrder, HttpBankConnector, SandboxLedgerConnector } from '@consentry/banking';
import { serveBankConnector } from '@consentry/banking/test-support';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { SandboxCredentials, seedSandbox } from './seed-sandbox.js';

const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 9));

/** The account's interim balances as signed decimals, and the signed sum of its ledger transactions. */
async function ledgerOf(db: TestDatabase, accountId: string): Promise<{ available: number; booked: number }> {
  const rows: Array<{ type: string; signed: string }> = await db.dataSource.query(
    `SELECT type, (CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS signed FROM balance WHERE account_id = $1`,
    [accountId],
  );
  const of = (type: string) => Number(rows.find((r) => r.type === type)!.signed);
  return { available: of('InterimAvailable'), booked: of('InterimBooked') };
}

/** The signed sum of the account's ledger transactions. */
async function transactionSum(db: TestDatabase, accountId: string): Promise<number> {
  const [row]: Array<{ sum: string | null }> = await db.dataSource.query(
    `SELECT sum(CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS sum FROM transaction WHERE account_id = $1`,
    [accountId],
  );
  return Number(row?.sum ?? 0);
}

async function setAvailable(db: TestDatabase, accountId: string, amount: string, overdraft = '0'): Promise<void> {
  await db.dataSource.query(`UPDATE balance SET amount = $2, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [accountId, amount]);
  await db.dataSource.query(`UPDATE account SET overdraft_limit = $2 WHERE account_id = $1`, [accountId, overdraft]);
}

async function identificationOf(db: TestDatabase, accountId: string): Promise<{ schemeName: string; identification: string }> {
  const [row] = await db.dataSource.query(`SELECT scheme_name, identification FROM account WHERE account_id = $1`, [accountId]);
  return { schemeName: row.scheme_name as string, identification: row.identification as string };
}

/** A payee at another bank: the ledger debits without a credit leg. */
const ELSEWHERE = { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '40400499999999', name: 'Elsewhere' };

/** The same behaviour from the ledger itself and from the ledger behind the connector protocol. */
describe.each([
  ['SandboxLedgerConnector', false],
  ['HttpBankConnector through the connector server', true],
])('payments on the ledger: %s', (_name, overHttp) => {
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let connector: BankConnector;
  let close: () => Promise<void> = async () => {};
  let debtor: string;
  let creditor: string;

  beforeAll(async () => {
    db = await createTestDatabase(overHttp ? 'ledger-pay-http' : 'ledger-pay');
    sandbox = await seedSandbox(db.dataSource, { keys, seed: 11, transactionsPerAccount: 3 });
    const ledger = new SandboxLedgerConnector(db.dataSource, keys);
    if (overHttp) {
      const server = await serveBankConnector(ledger, { token: 'connector-secret' });
      close = server.close;
      connector = new HttpBankConnector({ name: 'sandbox-ledger', baseUrl: server.url, token: 'connector-secret' });
    } else {
      connector = ledger;
    }
    const alice = sandbox.psus.find((p) => p.username === 'alice')!;
    const bob = sandbox.psus.find((p) => p.username === 'bob')!;
    debtor = alice.accounts.find((a) => !/card/i.test(a.nickname))!.accountId;
    creditor = bob.accounts.find((a) => !/card/i.test(a.nickname))!.accountId;
  }, 120_000);
  afterAll(async () => {
    await close();
    await db?.drop();
  });

  async function order(amount: string, overrides: Partial<BankPaymentOrder> = {}): Promise<BankPaymentOrder> {
    const target = await identificationOf(db, creditor);
    return {
      paymentId: `pay-${randomUUID()}`,
      debtorAccountId: debtor,
      amount,
      currency: 'GBP',
      creditorAccount: { ...target, name: 'Bob' },
      reference: 'E2E-REF-1',
      information: 'Rent',
      ...overrides,
    };
  }

  it('debits the debtor, credits a sandbox creditor, and both see the transaction', async () => {
    await setAvailable(db, debtor, '100.00');
    await setAvailable(db, creditor, '5.00');
    const payment = await order('40.25');
    const result = await connector.initiatePayment(payment);
    expect(result).toMatchObject({ outcome: 'Accepted', transactionId: payment.paymentId });
    expect(await ledgerOf(db, debtor)).toEqual({ available: 59.75, booked: 59.75 });
    expect(await ledgerOf(db, creditor)).toEqual({ available: 45.25, booked: 45.25 });

    const debits = await connector.listTransactions({ accountId: debtor, creditDebitIndicators: ['Debit'], pageSize: 100 });
    const debit = debits.transactions.find((t) => t.transactionId === payment.paymentId)!;
    expect(debit).toMatchObject({ amount: '40.25', creditDebitIndicator: 'Debit', status: 'BOOK', transactionReference: 'E2E-REF-1' });
    expect(debit.balanceAfter).toEqual({ amount: '59.75', creditDebitIndicator: 'Credit' });
    const credits = await connector.listTransactions({ accountId: creditor, creditDebitIndicators: ['Credit'], pageSize: 100 });
    expect(credits.transactions.find((t) => t.transactionId === `${payment.paymentId}-credit`)).toMatchObject({ amount: '40.25', creditDebitIndicator: 'Credit' });
    const balances = (await connector.listBalances([debtor], { direction: 'asc', limit: 100 })).items;
    expect(balances.find((b) => b.type === 'ITAV')).toMatchObject({ amount: '59.75', creditDebitIndicator: 'Credit' });
  });

  it('executes a paymentId sent twice at the same instant once, with or without a credit leg', async () => {
    await setAvailable(db, debtor, '100.00');
    const elsewhere = await order('10.00', { creditorAccount: ELSEWHERE });
    const credited = await order('5.00');
    for (const payment of [elsewhere, credited]) {
      const results = await Promise.all([connector.initiatePayment(payment), connector.initiatePayment(payment)]);
      for (const result of results) expect(result).toMatchObject({ outcome: 'Accepted', transactionId: payment.paymentId });
    }
    expect(await ledgerOf(db, debtor)).toEqual({ available: 85, booked: 85 });
  });

  it('executes a paymentId once, however often it is sent', async () => {
    await setAvailable(db, debtor, '100.00');
    const payment = await order('10.00');
    const first = await connector.initiatePayment(payment);
    const again = await connector.initiatePayment(payment);
    expect(again).toEqual(first);
    expect((await ledgerOf(db, debtor)).available).toBe(90);
  });

  it('rejects an order from an account that is not this ledger’s, or not enabled, with AC06 and writes nothing', async () => {
    await setAvailable(db, debtor, '100.00');
    expect(await connector.initiatePayment(await order('1.00', { debtorAccountId: 'acc-not-in-this-ledger' }))).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    await db.dataSource.query(`UPDATE account SET status = 'Disabled' WHERE account_id = $1`, [debtor]);
    try {
      expect(await connector.initiatePayment(await order('1.00'))).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    } finally {
      await db.dataSource.query(`UPDATE account SET status = 'Enabled' WHERE account_id = $1`, [debtor]);
    }
    expect((await ledgerOf(db, debtor)).available).toBe(100);
  });

  it('debits without a credit leg when the creditor is not a sandbox account, or is named by a card number', async () => {
    await setAvailable(db, debtor, '100.00');
    await setAvailable(db, creditor, '5.00');
    const target = await identificationOf(db, creditor);
    const elsewhere = await order('3.00', { creditorAccount: ELSEWHERE });
    const card = await order('2.00', { creditorAccount: { ...target, schemeName: 'UK.OBIE.PAN', name: 'Bob' } });
    for (const payment of [elsewhere, card]) expect(await connector.initiatePayment(payment)).toMatchObject({ outcome: 'Accepted', transactionId: payment.paymentId });
    expect(await ledgerOf(db, debtor)).toEqual({ available: 95, booked: 95 });
    expect(await ledgerOf(db, creditor)).toEqual({ available: 5, booked: 5 });
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = ANY($1::text[])`, [
      [`${elsewhere.paymentId}-credit`, `${card.paymentId}-credit`],
    ]);
    expect(n).toBe(0);
  });

  it('rejects with AM04 and writes nothing when the funds and overdraft do not cover the amount', async () => {
    await setAvailable(db, debtor, '20.00', '30.00');
    const payment = await order('50.01');
    expect(await connector.initiatePayment(payment)).toEqual({ outcome: 'Rejected', reason: 'AM04' });
    expect((await ledgerOf(db, debtor)).available).toBe(20);
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [payment.paymentId]);
    expect(n).toBe(0);
    // Exactly up to the overdraft limit is allowed.
    expect(await connector.initiatePayment(await order('50.00'))).toMatchObject({ outcome: 'Accepted' });
    expect(await ledgerOf(db, debtor)).toEqual({ available: -30, booked: -30 });
  });

  it('answers a rejected paymentId sent again with its first rejection, never paying it on funds that arrived since, with or without a credit leg', async () => {
    await setAvailable(db, debtor, '10.00');
    const elsewhere = await order('40.00', { creditorAccount: ELSEWHERE });
    const credited = await order('40.00');
    for (const payment of [elsewhere, credited]) expect(await connector.initiatePayment(payment)).toEqual({ outcome: 'Rejected', reason: 'AM04' });
    // The funds arrive; the same orders are sent again (a re-drive of payments whose outcome was lost).
    await setAvailable(db, debtor, '100.00');
    for (const payment of [elsewhere, credited]) expect(await connector.initiatePayment(payment)).toEqual({ outcome: 'Rejected', reason: 'AM04' });
    expect(await ledgerOf(db, debtor)).toEqual({ available: 100, booked: 100 });
    const [{ n }] = await db.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = ANY($1::text[])`, [[elsewhere.paymentId, credited.paymentId]]);
    expect(n).toBe(0);
    // An order from a disabled account, sent again once it is enabled: AC06 again.
    await db.dataSource.query(`UPDATE account SET status = 'Disabled' WHERE account_id = $1`, [debtor]);
    const disabled = await order('1.00');
    try {
      expect(await connector.initiatePayment(disabled)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    } finally {
      await db.dataSource.query(`UPDATE account SET status = 'Enabled' WHERE account_id = $1`, [debtor]);
    }
    expect(await connector.initiatePayment(disabled)).toEqual({ outcome: 'Rejected', reason: 'AC06' });
    expect((await ledgerOf(db, debtor)).available).toBe(100);
  });

  it('rejects an order in another currency than the account’s with AM03', async () => {
    await setAvailable(db, debtor, '100.00');
    expect(await connector.initiatePayment(await order('1.00', { currency: 'EUR' }))).toEqual({ outcome: 'Rejected', reason: 'AM03' });
  });

  it('confirms funds without telling the balance', async () => {
    await setAvailable(db, debtor, '10.00', '5.00');
    expect(await connector.confirmFunds(debtor, '15.00', 'GBP')).toBe(true);
    expect(await connector.confirmFunds(debtor, '15.01', 'GBP')).toBe(false);
    expect(await connector.confirmFunds(debtor, '1.00', 'EUR')).toBe(false);
  });

  it('never overdraws, whatever the balance, the overdraft and the orders racing (property)', async () => {
    const cents = (n: number) => (n / 100).toFixed(2);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        // Each order to the sandbox creditor (a credit leg: one transaction) or to a payee elsewhere (the
        // debit alone: one statement), so both paths race on the debtor's balance rows.
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 30_000 }), elsewhere: fc.boolean() }), { minLength: 1, maxLength: 12 }),
        async (start, overdraft, drawn) => {
          await setAvailable(db, debtor, cents(start), cents(overdraft));
          const sumBefore = await transactionSum(db, debtor);
          const amounts = drawn.map((d) => d.amount);
          const orders = await Promise.all(drawn.map((d) => order(cents(d.amount), d.elsewhere ? { creditorAccount: ELSEWHERE } : {})));
          const results = await Promise.all(orders.map((o) => connector.initiatePayment(o)));
          const accepted = amounts.filter((_, i) => results[i]!.outcome === 'Accepted');
          const rejected = amounts.filter((_, i) => results[i]!.outcome === 'Rejected');
          const finalCents = Math.round((await ledgerOf(db, debtor)).available * 100);
          // Never below the overdraft limit, exactly what was accepted taken, and the ledger agrees.
          expect(finalCents).toBeGreaterThanOrEqual(-overdraft);
          expect(finalCents).toBe(start - accepted.reduce((a, b) => a + b, 0));
          expect(Math.round((sumBefore - (await transactionSum(db, debtor))) * 100)).toBe(start - finalCents);
          expect(Math.round((await ledgerOf(db, debtor)).booked * 100)).toBe(finalCents);
          // Balances only fall: an order refused for funds would not fit at the end either.
          for (const amount of rejected) expect(amount).toBeGreaterThan(finalCents + overdraft);
        },
      ),
      { numRuns: 15 },
    );
    // Real concurrent transactions on a shared machine: the unit project's 5 s default is too tight.
  }, 120_000);

  it('never overdraws under concurrent payments, and the ledger sums match the balance', async () => {
    await setAvailable(db, debtor, '100.00', '0');
    const before: Array<{ sum: string | null }> = await db.dataSource.query(
      `SELECT sum(CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS sum FROM transaction WHERE account_id = $1`,
      [debtor],
    );
    // 25 orders of 7.00 against 100.00: exactly 14 fit.
    const results = await Promise.all(Array.from({ length: 25 }, async () => connector.initiatePayment(await order('7.00'))));
    const accepted = results.filter((r) => r.outcome === 'Accepted').length;
    expect(accepted).toBe(14);
    expect(results.filter((r) => r.outcome === 'Rejected' && r.reason === 'AM04')).toHaveLength(11);
    expect((await ledgerOf(db, debtor)).available).toBe(2);
    const after: Array<{ sum: string }> = await db.dataSource.query(
      `SELECT sum(CASE credit_debit_indicator WHEN 'Credit' THEN amount ELSE -amount END)::text AS sum FROM transaction WHERE account_id = $1`,
      [debtor],
    );
    expect(Number(after[0]!.sum) - Number(before[0]!.sum ?? 0)).toBeCloseTo(-98, 5);
  }, 60_000);
});
