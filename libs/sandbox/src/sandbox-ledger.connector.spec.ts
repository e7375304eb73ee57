import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidCursorError, SandboxLedgerConnector } from '@consentry/banking';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { SandboxCredentials, seedSandbox } from './seed-sandbox.js';

// The ledger connector lives in @consentry/banking; it is tested here, over the seeded sandbox, because
// the sandbox lib depends on banking and a test in banking importing the sandbox would make the
// project graph circular (Nx then refuses to order the builds).
describe('SandboxLedgerConnector', () => {
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let connector: SandboxLedgerConnector;
  const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 7));

  beforeAll(async () => {
    db = await createTestDatabase('banking');
    sandbox = await seedSandbox(db.dataSource, { keys, seed: 42, transactionsPerAccount: 25 });
    connector = new SandboxLedgerConnector(db.dataSource, keys);
  });
  afterAll(async () => db?.drop());

  it('lists a PSU’s accounts with their numbers in clear and card numbers decrypted', async () => {
    const [psuRow] = await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = 'bob'`);
    const accounts = await connector.listAccountsOfPsu(psuRow.psu_id);
    expect(accounts).toHaveLength(2);
    const card = accounts.find((a) => a.schemeName === 'UK.OBIE.PAN')!;
    expect(card.identification).toMatch(/^411111\d{10}$/);
    expect(card.openingDate).toBe('2019-03-01');
  });

  it('finds accounts by id in the order asked and leaves unknown ids out', async () => {
    const ids = sandbox.psus[0]!.accounts.map((a) => a.accountId);
    const found = await connector.findAccounts([ids[1]!, 'missing', ids[0]!]);
    expect(found.map((a) => a.accountId)).toEqual([ids[1], ids[0]]);
  });

  it('maps balance types to ISO codes', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    const balances = await connector.listBalances([accountId], { direction: 'asc', limit: 100 });
    expect(balances.items.map((b) => b.type)).toEqual(['ITAV', 'ITBD']);
    expect(balances.total).toBe(2);
  });

  it('pages through every transaction once with keyset cursors', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await connector.listTransactions({ accountId, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 10, after });
      expect(page.totalPages).toBe(3);
      seen.push(...page.transactions.map((t) => t.transactionId));
      after = page.nextCursor ?? undefined;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
  });

  it('pages back from the last page through the same pages with prevCursor', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    const query = { accountId, creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 10 };
    const forward: string[][] = [];
    let after: string | undefined;
    let lastCursor: string | null = null;
    do {
      const page = await connector.listTransactions({ ...query, after });
      expect(page.prevCursor === null).toBe(forward.length === 0);
      forward.push(page.transactions.map((t) => t.transactionId));
      lastCursor = page.lastCursor;
      after = page.nextCursor ?? undefined;
    } while (after);
    expect(forward.map((ids) => ids.length)).toEqual([10, 10, 5]);
    const backward: string[][] = [];
    let before: string | null = lastCursor;
    while (before) {
      const page = await connector.listTransactions({ ...query, after: before });
      expect(page.lastCursor).toBe(lastCursor);
      expect(page.nextCursor === null).toBe(backward.length === 0);
      backward.push(page.transactions.map((t) => t.transactionId));
      before = page.prevCursor;
    }
    expect(backward.reverse()).toEqual(forward);
  });

  it('gives the summary alone when asked: the first page’s TotalPages, Last cursor and bounds, without a row', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    const query = { accountId, creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 10 };
    const first = await connector.listTransactions(query);
    expect(first.transactions).toHaveLength(10);
    const summary = await connector.listTransactions({ ...query, summaryOnly: true });
    expect(summary).toEqual({ ...first, transactions: [], nextCursor: null, prevCursor: null });
    expect(summary.totalPages).toBe(3);
    expect(summary.lastCursor).not.toBeNull();
    // A cursor changes nothing: the summary is the whole window's.
    expect(await connector.listTransactions({ ...query, summaryOnly: true, after: first.nextCursor! })).toEqual(summary);
    // Only the debits: the summary follows the filter as the page does.
    const debits = await connector.listTransactions({ ...query, creditDebitIndicators: ['Debit'] });
    expect(await connector.listTransactions({ ...query, creditDebitIndicators: ['Debit'], summaryOnly: true })).toEqual({ ...debits, transactions: [], nextCursor: null, prevCursor: null });
  });

  it('still reads a next-page cursor issued before Prev and Last existed', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    const query = { accountId, creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 10 };
    const first = await connector.listTransactions(query);
    const tenth = first.transactions[9]!;
    const legacy = Buffer.from(JSON.stringify({ b: tenth.bookingDateTime.toISOString(), t: tenth.transactionId })).toString('base64url');
    const second = await connector.listTransactions({ ...query, after: legacy });
    expect(second.transactions).toEqual((await connector.listTransactions({ ...query, after: first.nextCursor! })).transactions);
  });

  it('returns only the directions asked for', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    const page = await connector.listTransactions({ accountId, creditDebitIndicators: ['Credit'], pageSize: 100 });
    expect(page.transactions.every((t) => t.creditDebitIndicator === 'Credit')).toBe(true);
  });

  it('refuses a cursor it did not issue', async () => {
    const accountId = sandbox.psus[0]!.accounts[0]!.accountId;
    await expect(connector.listTransactions({ accountId, creditDebitIndicators: ['Credit'], pageSize: 5, after: 'bogus' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});
