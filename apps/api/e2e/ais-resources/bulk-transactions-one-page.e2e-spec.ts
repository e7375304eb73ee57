import { HttpBankConnector, SandboxLedgerConnector, TransactionPage, TransactionQuery, TransactionSummary, TransactionSummaryQuery } from '@consentry/banking';
import { ConnectorServer, serveBankConnector } from '@consentry/banking/test-support';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { findFreePort } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const UPSTREAM = 'upstream-bulk';
const UPSTREAM_TOKEN = 'upstream-bulk-secret-0123456789abcdef';
const PAGE_SIZE = 4;

/** What the upstream bank was asked for rows, and how many it sent back. */
interface ListCall {
  query: TransactionQuery;
  rows: number;
}

/**
 * GET /transactions over several accounts holds one page: the accounts' bank (a real ledger behind the
 * connector protocol, over HTTP) is asked for rows of the page's account only, and once for the summaries
 * (TotalPages, bounds) of all the accounts. The bank's answers are recorded where they leave it.
 */
describe('bulk transactions read one page of rows, whatever the number of accounts', () => {
  let h: ApiHarness;
  let upstream: ConnectorServer;
  let accounts: string[];
  const calls: ListCall[] = [];
  const summaryCalls: TransactionSummaryQuery[] = [];

  beforeAll(async () => {
    const port = await findFreePort();
    const connector = new HttpBankConnector({ name: UPSTREAM, baseUrl: `http://127.0.0.1:${port}`, token: UPSTREAM_TOKEN, timeoutMs: 5000 });
    h = await ApiHarness.start('bulk-one-page', { API_PAGE_SIZE: String(PAGE_SIZE) }, { connectors: [connector] });
    accounts = [...h.psuAccounts('alice')].sort();
    expect(accounts.length).toBeGreaterThanOrEqual(3);
    // All of alice's accounts at the upstream bank, so every transaction read crosses the protocol.
    await h.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('upstream-bulk-bank', 'Upstream Bank', $1)`, [UPSTREAM]);
    await h.dataSource.query(`UPDATE account SET aspsp_id = 'upstream-bulk-bank' WHERE account_id = ANY($1::text[])`, [accounts]);
    // The first account (the consent lists them by id) has none: the first page is the next account's.
    await h.dataSource.query(`DELETE FROM transaction WHERE account_id = $1`, [accounts[0]]);
    const ledger = new SandboxLedgerConnector(h.dataSource, new EnvironmentKeyManagement(Buffer.alloc(32, 0x34)), UPSTREAM);
    // The real ledger, its listTransactions answers counted on the way out.
    const recorded = new Proxy(ledger, {
      get(target, property, receiver) {
        if (property === 'listTransactions') {
          return async (query: TransactionQuery): Promise<TransactionPage> => {
            const page = await target.listTransactions(query);
            calls.push({ query, rows: page.transactions.length });
            return page;
          };
        }
        if (property === 'summarizeTransactions') {
          return (query: TransactionSummaryQuery): Promise<TransactionSummary[]> => {
            summaryCalls.push(query);
            return target.summarizeTransactions(query);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    upstream = await serveBankConnector(recorded, { token: UPSTREAM_TOKEN, port });
  });
  afterAll(async () => {
    await upstream?.close();
    await h?.stop();
  });

  it('asks the bank for one page of rows a request, and for all the accounts’ summaries in one call', async () => {
    const token = await h.consentToken(await h.authorisedConsent(['ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits']));
    const counts: Array<{ n: number }> = await h.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE account_id = ANY($1::text[]) GROUP BY account_id`, [accounts]);
    const expected = counts.reduce((sum, c) => sum + c.n, 0);
    const totalPages = counts.reduce((sum, c) => sum + Math.ceil(c.n / PAGE_SIZE), 0);
    expect(counts.length).toBeGreaterThanOrEqual(2);
    expect(expected).toBeGreaterThan(2 * PAGE_SIZE);
    const seen: string[] = [];
    let path: string | null = `${AISP}/transactions`;
    let requests = 0;
    while (path) {
      calls.length = 0;
      summaryCalls.length = 0;
      const page = await h.tpp('GET', path, { token });
      expect(page.status).toBe(200);
      expectObSchema('OBReadTransaction6', page.body);
      const ids: string[] = page.body.Data.Transaction.map((t: JsonBody) => jsonString(t.TransactionId));
      seen.push(...ids);
      // Rows: at most a page in all (the empty first account's page, then the next's, on the first request).
      expect(calls.length).toBe(requests === 0 ? 2 : 1);
      expect(calls.reduce((sum, call) => sum + call.rows, 0)).toBe(ids.length);
      expect(ids.length).toBeLessThanOrEqual(PAGE_SIZE);
      // The summaries: one call for every account, however many there are.
      expect(summaryCalls.map((query) => query.accountIds)).toEqual([accounts]);
      expect(page.body.Meta.TotalPages).toBe(totalPages);
      path = page.body.Links.Next ? jsonString(page.body.Links.Next).slice(h.api.publicUrl.length) : null;
      requests++;
      if (requests > expected) throw new Error('paging does not end');
    }
    // Every transaction once, in pages of one account each.
    expect(seen).toHaveLength(expected);
    expect(new Set(seen).size).toBe(expected);
  });
});
