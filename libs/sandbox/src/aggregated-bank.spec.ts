import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AggregatedBank,
  ConnectorUnavailableError,
  HttpBankConnector,
  InvalidCursorError,
  ListCursor,
  ListKey,
  ListPage,
  ListWindow,
  SandboxLedgerConnector,
} from '@consentry/banking';
import { EnvironmentKeyManagement } from '@consentry/identity';
import { createTestDatabase, findFreePort, TestDatabase } from '@consentry/testing';

import { CONNECTOR_OPERATIONS, ConnectorServer, serveBankConnector } from '@consentry/banking/test-support';

import { SandboxCredentials, seedSandbox } from './seed-sandbox.js';

const TOKEN = 'a-token-of-sixteen-plus';

describe('AggregatedBank over the ledger and an HTTP connector', () => {
  let db: TestDatabase;
  let sandbox: SandboxCredentials;
  let server: ConnectorServer | null;
  let port: number;
  let http: HttpBankConnector;
  let bank: AggregatedBank;
  let remote: SandboxLedgerConnector;
  const keys = new EnvironmentKeyManagement(Buffer.alloc(32, 9));

  beforeAll(async () => {
    db = await createTestDatabase('aggregated_bank');
    sandbox = await seedSandbox(db.dataSource, { keys, seed: 3, transactionsPerAccount: 12 });
    // The south bank moves behind HTTP; its ledger rows stay, served by a ledger named like the connector.
    await db.dataSource.query(`UPDATE aspsp SET connector = 'remote' WHERE aspsp_id = 'consentry-bank-south'`);
    remote = new SandboxLedgerConnector(db.dataSource, keys, 'remote');
    port = await findFreePort();
    server = await serveBankConnector(remote, { token: TOKEN, port });
    http = new HttpBankConnector({ name: 'remote', baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 1000 });
    bank = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), http]);
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const aliceAccounts = () => sandbox.psus[0]!.accounts.map((a) => a.accountId);

  it('answers through HTTP exactly what the upstream ledger answers, dates included', async () => {
    const southAccount = sandbox.psus[0]!.accounts.find((a) => a.aspspId === 'consentry-bank-south')!.accountId;
    expect(await http.findAccounts([southAccount])).toEqual(await remote.findAccounts([southAccount]));
    const window: ListWindow = { direction: 'desc', limit: 2, position: { key: { accountId: southAccount, id: 'zzz' }, inclusive: false } };
    expect(await http.listStandingOrders([southAccount], window)).toEqual(await remote.listStandingOrders([southAccount], window));
    const first = await http.listTransactions({ accountId: southAccount, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 5 });
    expect(first.transactions[0]!.bookingDateTime).toBeInstanceOf(Date);
    const second = await http.listTransactions({ accountId: southAccount, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 5, after: first.nextCursor! });
    expect(second.transactions.map((t) => t.transactionId)).not.toContain(first.transactions[4]!.transactionId);
    // Prev and Last cursors cross the protocol too: back from the second page is exactly the first.
    expect(await http.listTransactions({ accountId: southAccount, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 5, after: second.prevCursor! })).toEqual(first);
    expect(second.lastCursor).toBe(first.lastCursor);
    await expect(http.listTransactions({ accountId: southAccount, creditDebitIndicators: ['Debit'], pageSize: 5, after: 'bogus' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('summarises transactions through HTTP, also from an upstream that predates the operation', async () => {
    const accountIds = aliceAccounts().filter((id) => sandbox.psus[0]!.accounts.find((a) => a.accountId === id)!.aspspId === 'consentry-bank-south');
    expect(accountIds.length).toBeGreaterThan(0);
    const query = { accountIds, creditDebitIndicators: ['Credit', 'Debit'] as const, pageSize: 5 };
    const summaries = await remote.summarizeTransactions(query);
    expect(summaries.some((summary) => summary.totalPages > 1)).toBe(true);
    expect(await http.summarizeTransactions(query)).toEqual(summaries);
    // An older upstream: the operation is not in its protocol (404), so each account's first page is asked instead.
    const olderPort = await findFreePort();
    const older = await serveBankConnector(remote, { token: TOKEN, port: olderPort, operations: CONNECTOR_OPERATIONS.filter((op) => op !== 'summarizeTransactions') });
    try {
      const olderHttp = new HttpBankConnector({ name: 'remote', baseUrl: `http://127.0.0.1:${olderPort}`, token: TOKEN, timeoutMs: 1000 });
      expect(await olderHttp.summarizeTransactions(query)).toEqual(summaries);
      // Any other operation it lacks makes it unavailable: its accounts alone go missing.
      const lacking = await serveBankConnector(remote, { token: TOKEN, port: await findFreePort(), operations: [] });
      try {
        await expect(new HttpBankConnector({ name: 'remote', baseUrl: lacking.url, token: TOKEN, timeoutMs: 1000 }).findAccounts(accountIds)).rejects.toThrow(
          'upstream refused findAccounts with 404',
        );
      } finally {
        await lacking.close();
      }
    } finally {
      await older.close();
    }
  });

  it('summarises each bank’s accounts in one read, and a bank that is down costs only its accounts', async () => {
    const ids = aliceAccounts();
    const { items, unavailable } = await bank.summarizeTransactions({ accountIds: ids, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 5 });
    expect(unavailable).toEqual([]);
    expect(items.map((item) => item.accountId)).toEqual(ids);
    for (const item of items) {
      const page = await bank.listTransactions({ accountId: item.accountId, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 5 });
      expect(item.totalPages).toBe(page.totalPages);
    }
    // The south bank unreachable (nothing listens on its port): the north bank's accounts still answer.
    const unreachable = new HttpBankConnector({ name: 'remote', baseUrl: `http://127.0.0.1:${await findFreePort()}`, token: TOKEN, timeoutMs: 1000 });
    const halfDown = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), unreachable]);
    const south = sandbox.psus[0]!.accounts.filter((a) => a.aspspId === 'consentry-bank-south').map((a) => a.accountId);
    const partial = await halfDown.summarizeTransactions({ accountIds: ids, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 5 });
    expect(partial.unavailable).toEqual(south);
    expect(partial.items).toEqual(items.filter((item) => !south.includes(item.accountId)));
  });

  it('takes a bank refusing our token as unavailable: its accounts alone go missing, the other bank’s answer', async () => {
    const stranger = new HttpBankConnector({ name: 'remote', baseUrl: `http://127.0.0.1:${port}`, token: 'wrong-token-wrong-token' });
    await expect(stranger.findAccounts(aliceAccounts())).rejects.toThrow(ConnectorUnavailableError);
    await expect(stranger.findAccounts(aliceAccounts())).rejects.toThrow('upstream refused findAccounts with 401');
    // Until 7 December 2026 the 401 was thrown as a defect, and a bulk read was a 500 for every bank.
    const refused = new AggregatedBank(db.dataSource, [new SandboxLedgerConnector(db.dataSource, keys), stranger]);
    const south = sandbox.psus[0]!.accounts.filter((a) => a.aspspId === 'consentry-bank-south').map((a) => a.accountId);
    const { items, unavailable } = await refused.listBalances(aliceAccounts(), null, 100);
    expect(unavailable).toEqual(south);
    expect([...new Set(items.map((b) => b.accountId))]).toEqual(aliceAccounts().filter((id) => !south.includes(id)).sort());
  });

  it('merges both banks in key order', async () => {
    const ids = aliceAccounts();
    const { items, unavailable } = await bank.listBalances(ids, null, 100);
    expect(unavailable).toEqual([]);
    expect([...new Set(items.map((b) => b.accountId))]).toEqual([...ids].sort());
    const statements = await bank.listStatements(ids, {}, null, 100);
    expect(statements.items).toHaveLength(6);
  });

  it('reports the down bank’s accounts as unavailable and serves the others', async () => {
    await server!.close();
    server = null;
    try {
      const ids = aliceAccounts();
      const south = sandbox.psus[0]!.accounts.filter((a) => a.aspspId === 'consentry-bank-south').map((a) => a.accountId);
      const { items, unavailable } = await bank.listBeneficiaries(ids, null, 100);
      expect(unavailable).toEqual(south);
      expect(items.every((b) => !south.includes(b.accountId))).toBe(true);
      expect(items.length).toBeGreaterThan(0);
      await expect(bank.listTransactions({ accountId: south[0]!, creditDebitIndicators: ['Credit'], pageSize: 5 })).rejects.toBeInstanceOf(ConnectorUnavailableError);
    } finally {
      server = await serveBankConnector(remote, { token: TOKEN, port });
    }
  });

  /** A paged list of AggregatedBank, read as `account/id` keys. */
  type PagedList = (ids: string[], cursor: ListCursor | null, size: number) => Promise<{ keys: string[]; nextAfter: ListKey | null; prevBefore: ListKey | null; totalPages: number }>;
  const keyed =
    <T extends { accountId: string }>(read: (ids: string[], cursor: ListCursor | null, size: number) => Promise<ListPage<T>>, idOf: (item: T) => string): PagedList =>
    async (ids, cursor, size) => {
      const page = await read(ids, cursor, size);
      return { ...page, keys: page.items.map((item) => `${item.accountId}/${idOf(item)}`) };
    };
  const LISTS: Array<[name: string, list: () => PagedList]> = [
    ['beneficiaries', () => keyed((ids, c, n) => bank.listBeneficiaries(ids, c, n), (b) => b.beneficiaryId)],
    ['accounts', () => keyed((ids, c, n) => bank.listAccounts(ids, c, n), (a) => a.accountId)],
    ['balances', () => keyed((ids, c, n) => bank.listBalances(ids, c, n), (b) => b.type)],
    ['statements', () => keyed((ids, c, n) => bank.listStatements(ids, {}, c, n), (s) => s.statementId)],
    ['account parties', () => keyed((ids, c, n) => bank.listAccountParties(ids, {}, c, n), (p) => p.partyId)],
  ];

  for (const [name, listOf] of LISTS) {
    it(`pages ${name} across both banks in SQL exactly as the whole list would page: forwards, backwards and from the end`, async () => {
      const list = listOf();
      // Every PSU's records, at both banks (one behind HTTP), two a page.
      const size = 2;
      const ids = sandbox.psus.flatMap((psu) => psu.accounts.map((a) => a.accountId));
      const whole = (await list(ids, null, 1000)).keys;
      expect(whole.length).toBeGreaterThan(2 * size);
      expect(whole).toEqual([...whole].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const forwards: string[][] = [];
      let page = await list(ids, null, size);
      for (;;) {
        forwards.push(page.keys);
        expect(page.totalPages).toBe(Math.ceil(whole.length / size));
        expect(page.prevBefore === null).toBe(forwards.length === 1);
        if (!page.nextAfter) break;
        page = await list(ids, { kind: 'after', key: page.nextAfter }, size);
      }
      expect(forwards.length).toBeGreaterThanOrEqual(3);
      expect(forwards.flat()).toEqual(whole);
      expect(forwards.slice(0, -1).every((keys) => keys.length === size)).toBe(true);
      // From the end: the final page is what whole pages from the start leave over.
      const last = await list(ids, { kind: 'last' }, size);
      expect(last.keys).toEqual(forwards.at(-1));
      expect(last.nextAfter).toBeNull();
      // Backwards from the end, page by page: the same pages in reverse.
      const backwards: string[][] = [];
      page = last;
      while (page.prevBefore) {
        page = await list(ids, { kind: 'before', key: page.prevBefore }, size);
        backwards.unshift(page.keys);
      }
      expect([...backwards, forwards.at(-1)]).toEqual(forwards);
    });
  }

  it('answers a list window through HTTP exactly as the upstream ledger does, for every list', async () => {
    const ids = aliceAccounts();
    const south = sandbox.psus[0]!.accounts.find((a) => a.aspspId === 'consentry-bank-south')!.accountId;
    const window: ListWindow = { direction: 'asc', limit: 3, after: { accountId: '', id: '' }, position: { key: { accountId: south, id: 'zzz' }, inclusive: false } };
    expect(await http.listAccounts(ids, window)).toEqual(await remote.listAccounts(ids, window));
    expect(await http.listBalances(ids, window)).toEqual(await remote.listBalances(ids, window));
    expect(await http.listStatements(ids, { from: new Date(0) }, window)).toEqual(await remote.listStatements(ids, { from: new Date(0) }, window));
    expect(await http.listAccountParties(ids, { accountRole: 'UK.OBIE.Principal' }, window)).toEqual(await remote.listAccountParties(ids, { accountRole: 'UK.OBIE.Principal' }, window));
    expect((await remote.listAccounts(ids, window)).items.length).toBeGreaterThan(0);
  });

  it('finds the PSU’s party at the first bank that knows them', async () => {
    const psuId = (await db.dataSource.query(`SELECT psu_id FROM psu WHERE username = 'alice'`))[0].psu_id as string;
    const party = await bank.findPsuParty(psuId, aliceAccounts());
    expect(party).toMatchObject({ name: 'Alice Walker', partyType: 'Sole' });
  });
});
