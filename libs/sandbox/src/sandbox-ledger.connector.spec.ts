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

  it('summarises every account in one read, as each account’s own first page does', async () => {
    const accountIds = [...sandbox.psus.flatMap((psu) => psu.accounts.map((a) => a.accountId)), 'no-such-account'].reverse();
    const bookings: Array<{ first: Date; last: Date }> = await db.dataSource.query(
      `SELECT min(booking_date_time) AS first, max(booking_date_time) AS last FROM transaction WHERE account_id = $1`,
      [accountIds[1]],
    );
    const middle = new Date((bookings[0]!.first.getTime() + bookings[0]!.last.getTime()) / 2);
    const filters = [
      { creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 10 },
      { creditDebitIndicators: ['Debit'] as const, pageSize: 7 },
      { creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 1, from: middle },
      { creditDebitIndicators: ['Credit'] as const, pageSize: 1000, to: middle },
      { creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 4, from: middle, to: new Date(middle.getTime() + 86_400_000 * 30) },
      { creditDebitIndicators: [] as const, pageSize: 10 },
    ];
    for (const filter of filters) {
      const summaries = await connector.summarizeTransactions({ ...filter, accountIds });
      const pages = await Promise.all(accountIds.map((accountId) => connector.listTransactions({ ...filter, accountId })));
      // In the order asked, and each one what the account's first page says of the whole.
      expect(summaries).toEqual(
        pages.map((page, index) => ({
          accountId: accountIds[index],
          totalPages: page.totalPages,
          lastCursor: page.lastCursor,
          firstAvailableDateTime: page.firstAvailableDateTime,
          lastAvailableDateTime: page.lastAvailableDateTime,
        })),
      );
    }
    const all = await connector.summarizeTransactions({ ...filters[0]!, accountIds });
    expect(all.filter((summary) => summary.totalPages > 1).length).toBeGreaterThan(0);
    expect(all.at(0)).toEqual({ accountId: 'no-such-account', totalPages: 0, lastCursor: null, firstAvailableDateTime: null, lastAvailableDateTime: null });
    expect(await connector.summarizeTransactions({ ...filters[0]!, accountIds: [] })).toEqual([]);
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
