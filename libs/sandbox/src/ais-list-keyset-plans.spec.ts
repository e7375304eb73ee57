import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ListWindow, SandboxLedgerConnector } from '@consentry/banking';
import { DataSource, LedgerReader } from '@consentry/database';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { createTestDatabase, TestDatabase } from '@consentry/testing';

import { seedSandbox } from './seed-sandbox.js';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function indexesOf(node: PlanNode): string[] {
  return [...(node['Index Name'] ? [node['Index Name']] : []), ...(node.Plans ?? []).flatMap(indexesOf)];
}

/** The tables read whole (the bank directory, a few rows, may be: it is no list). */
function seqScannedOf(node: PlanNode): string[] {
  return [...(node['Node Type'] === 'Seq Scan' ? [node['Relation Name'] ?? '?'] : []), ...(node.Plans ?? []).flatMap(seqScannedOf)];
}

// Big enough that a sequential scan would cost the planner far more than the keyset index: 20,000
// accounts, each with two balances, a statement and a holder.
const ACCOUNTS = 20_000;

/**
 * The statements the connector really sends for the four lists last moved to SQL paging, captured as it
 * runs them (a LedgerReader that records on the way through) and explained on a seeded table: each page
 * and count is served by the list's keyset index, never a sequential scan of the table.
 */
describe('the keyset indexes serve the AIS list queries', () => {
  let db: TestDatabase;
  let connector: SandboxLedgerConnector;
  const sent: Array<{ sql: string; params: unknown[] }> = [];
  const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 5));

  beforeAll(async () => {
    db = await createTestDatabase('ais_list_plans');
    await seedSandbox(db.dataSource, { keys, seed: 11, transactionsPerAccount: 1 });
    await db.dataSource.query(
      `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
       SELECT 'plan-' || lpad(g::text, 6, '0'), a.aspsp_id, a.psu_id, 'GBP', 'Personal', 'CurrentAccount', 'UK.OBIE.SortCodeAccountNumber', lpad(g::text, 14, '0'), 'Plan Holder'
         FROM (SELECT aspsp_id, psu_id FROM account ORDER BY account_id LIMIT 1) a, generate_series(1, $1) g`,
      [ACCOUNTS],
    );
    await db.dataSource.query(
      `INSERT INTO balance (account_id, type, amount, currency, credit_debit_indicator, date_time)
       SELECT account_id, t, 1, 'GBP', 'Credit', now() FROM account, unnest(ARRAY['InterimAvailable', 'InterimBooked']) t WHERE account_id LIKE 'plan-%'`,
    );
    await db.dataSource.query(
      `INSERT INTO statement (statement_id, account_id, type, start_date_time, end_date_time, creation_date_time, opening_balance, closing_balance, total_credits, total_debits, currency)
       SELECT 'st-' || account_id, account_id, 'RegularPeriodic', now() - interval '30 days', now(), now(), 0, 0, 0, 0, 'GBP' FROM account WHERE account_id LIKE 'plan-%'`,
    );
    await db.dataSource.query(`INSERT INTO party (party_id, party_type, name) SELECT 'pp-' || account_id, 'Sole', 'Plan Holder' FROM account WHERE account_id LIKE 'plan-%'`);
    await db.dataSource.query(`INSERT INTO account_party (account_id, party_id, account_role) SELECT account_id, 'pp-' || account_id, 'UK.OBIE.Principal' FROM account WHERE account_id LIKE 'plan-%'`);
    await db.dataSource.query('ANALYZE');
    const recording = new Proxy(db.dataSource, {
      get(target, property, receiver) {
        if (property !== 'query') return Reflect.get(target, property, receiver);
        return (sql: string, params: unknown[] = []) => {
          sent.push({ sql, params });
          return target.query(sql, params);
        };
      },
    });
    const reader: LedgerReader = { read: (work) => work(recording as DataSource) };
    connector = new SandboxLedgerConnector(db.dataSource, keys, undefined, reader);
  }, 120_000);
  afterAll(async () => db?.drop());

  const one = ['plan-010000'];
  const several = ['plan-000100', 'plan-010000', 'plan-019000'];
  const windows: ListWindow[] = [
    { direction: 'asc', limit: 26 },
    { direction: 'asc', limit: 26, after: { accountId: 'plan-010000', id: '' }, position: { key: { accountId: 'plan-010000', id: '' }, inclusive: true } },
    { direction: 'desc', limit: 25, before: { accountId: 'plan-019000', id: 'zzz' }, position: { key: { accountId: 'plan-019000', id: 'zzz' }, inclusive: false } },
  ];
  const LISTS: Array<[name: string, index: string, read: (ids: string[], window: ListWindow) => Promise<unknown>]> = [
    ['accounts', 'account_keyset_idx', (ids, window) => connector.listAccounts(ids, window)],
    ['balances', 'balance_keyset_idx', (ids, window) => connector.listBalances(ids, window)],
    ['statements', 'statement_keyset_idx', (ids, window) => connector.listStatements(ids, { from: new Date(0) }, window)],
    ['account parties', 'account_party_keyset_idx', (ids, window) => connector.listAccountParties(ids, {}, window)],
  ];

  for (const [name, index, read] of LISTS) {
    it(`pages ${name} (one account and several, both ways) and counts them on ${index}`, async () => {
      for (const ids of [one, several]) {
        for (const window of windows) {
          sent.length = 0;
          await read(ids, window);
          // The page and its count.
          expect(sent).toHaveLength(2);
          for (const { sql, params } of sent) {
            const [{ 'QUERY PLAN': [plan] }] = (await db.dataSource.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>;
            expect(indexesOf(plan!.Plan)).toContain(index);
            expect(seqScannedOf(plan!.Plan).filter((table) => table !== 'aspsp')).toEqual([]);
          }
        }
      }
    });
  }
});
