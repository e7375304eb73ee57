import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AggregatedBank, SandboxLedgerConnector } from '@consentry/banking';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { ScaleProgress, scaleAccountId, scaleConsentId, seedScale } from './seed-scale.js';
import { seedSandbox } from './seed-sandbox.js';

const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 4));

describe('seedScale', () => {
  let db: TestDatabase;
  const progress: ScaleProgress[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('seed_scale');
    await seedSandbox(db.dataSource, { keys, transactionsPerAccount: 2, seed: 3 });
    await seedScale(db.dataSource, { transactions: 2_500, accounts: 100, psus: 40, consents: 250 }, (p) => progress.push(p));
  });
  afterAll(async () => db?.drop());

  it('writes exactly the sizes asked, spread evenly, and reports each table to its total', async () => {
    const [counts] = await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM psu WHERE username LIKE 'scale-psu-%') AS psus,
              (SELECT count(*)::int FROM account WHERE account_id LIKE 'scale-acc-%') AS accounts,
              (SELECT count(*)::int FROM balance WHERE account_id LIKE 'scale-acc-%') AS balances,
              (SELECT count(*)::int FROM transaction WHERE transaction_id LIKE 'scale-trx-%') AS transactions,
              (SELECT count(*)::int FROM account_access_consent WHERE consent_id LIKE 'scale-aac-%' AND status = 'AUTH') AS consents,
              (SELECT count(*)::int FROM consent_account WHERE consent_id LIKE 'scale-aac-%') AS bound,
              (SELECT max(n) - min(n) FROM (SELECT count(*) AS n FROM transaction WHERE transaction_id LIKE 'scale-trx-%' GROUP BY account_id) x)::int AS spread,
              (SELECT count(DISTINCT psu_id)::int FROM account WHERE account_id LIKE 'scale-acc-%') AS owners`,
    );
    expect(counts).toEqual({ psus: 40, accounts: 100, balances: 200, transactions: 2_500, consents: 250, bound: 250, spread: 0, owners: 40 });
    expect(progress.map((p) => `${p.table} ${p.done}/${p.total}`)).toEqual([
      'psu 0/40',
      'psu 40/40',
      'account 0/100',
      'account 100/100',
      'balance 0/100',
      'balance 100/100',
      'transaction 0/2500',
      'transaction 2500/2500',
      'account_access_consent 0/250',
      'account_access_consent 250/250',
    ]);
  });

  it('binds each consent to an account of its own PSU, readable through the ledger like any other', async () => {
    const [mismatch] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM account_access_consent c JOIN consent_account ca USING (consent_id) JOIN account a USING (account_id)
        WHERE c.consent_id LIKE 'scale-aac-%' AND a.psu_id <> c.psu_id`,
    );
    expect(mismatch.n).toBe(0);
    const [bound] = await db.dataSource.query(`SELECT account_id FROM consent_account WHERE consent_id = $1`, [scaleConsentId(101)]);
    expect(bound.account_id).toBe(scaleAccountId(1));
    const bank = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys)]);
    const page = await bank.listTransactions({ accountId: scaleAccountId(1), pageSize: 10, creditDebitIndicators: ['Credit', 'Debit'] });
    expect(page.transactions).toHaveLength(10);
    expect(page.totalPages).toBe(3);
    const accounts = await bank.findAccounts([scaleAccountId(7)]);
    expect(accounts.items[0]).toMatchObject({ accountId: scaleAccountId(7), currency: 'GBP' });
  });

  it('refuses to seed the same database twice', async () => {
    await expect(seedScale(db.dataSource, { transactions: 1, accounts: 1, psus: 1, consents: 0 })).rejects.toThrow(/already holds a scale seed/);
  });
});
