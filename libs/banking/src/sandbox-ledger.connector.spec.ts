import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EnvironmentKeyManagement } from '@consentry/identity';
import { SandboxCredentials, seedSandbox } from '@consentry/sandbox';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { InvalidCursorError } from './bank-connector.js';
import { formatAmount, SandboxLedgerConnector } from './sandbox-ledger.connector.js';

describe('formatAmount', () => {
  it.each([
    ['12.50000', '12.50'],
    ['1200.00000', '1200.00'],
    ['0.12345', '0.12345'],
    ['-3.10000', '3.10'],
  ])('formats %s as %s', (input, output) => expect(formatAmount(input)).toBe(output));
});

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
    const balances = await connector.listBalances([accountId]);
    expect(balances.map((b) => b.type).sort()).toEqual(['ITAV', 'ITBD']);
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
