import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AggregatedBank } from './aggregated-bank.js';
import { BankBalance, BankTransaction, ConnectorUnavailableError } from './bank-connector.js';
import { HttpBankConnector } from './http-bank.connector.js';

const TOKEN = 'upstream-connector-secret-0123456789';

/** An upstream answering every call with `handler`, on a free port. */
async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => request.resume().on('end', () => handler(request, response)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('AggregatedBank: records an upstream answers for accounts it was not asked about', () => {
  let db: TestDatabase;
  let upstream: { server: Server; url: string };

  const ASKED = 'acc-upstream-asked';
  const OTHER = 'acc-upstream-other-customer';
  const balanceOf = (accountId: string, amount: string): BankBalance => ({
    accountId,
    type: 'ITAV',
    amount,
    currency: 'GBP',
    creditDebitIndicator: 'Credit',
    dateTime: new Date('2026-01-01T00:00:00.000Z'),
  });

  const transactionOf = (accountId: string): BankTransaction => ({
    transactionId: `tx-${accountId}`,
    accountId,
    transactionReference: null,
    amount: '25.00',
    currency: 'GBP',
    creditDebitIndicator: 'Debit',
    status: 'BOOK',
    bookingDateTime: new Date('2026-01-01T00:00:00.000Z'),
    valueDateTime: null,
    transactionInformation: 'Payment to a private payee',
    bankTransactionCode: null,
    merchantName: null,
    merchantCategoryCode: null,
    balanceAfter: null,
  });

  beforeAll(async () => {
    db = await createTestDatabase('http_upstream_trust');
    await db.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('upstream-bank', 'Upstream Bank', 'upstream-http')`);
    const [{ psu_id: psuId }]: Array<{ psu_id: string }> = await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('upstream', 'Upstream', 'x', 'x') RETURNING psu_id`,
    );
    for (const [accountId, identification] of [
      [ASKED, '40400400000001'],
      [OTHER, '40400400000002'],
    ] as const) {
      await db.dataSource.query(
        `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
         VALUES ($1, 'upstream-bank', $2, 'GBP', 'Personal', 'CACC', 'UK.OBIE.SortCodeAccountNumber', $3, 'Holder')`,
        [accountId, psuId, identification],
      );
    }
    // A buggy bank adapter: it ignores the account filter and answers every account's records.
    upstream = await listen((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      if ((request.url ?? '').endsWith('/summarizeTransactions')) {
        const summary = (accountId: string) => ({ accountId, totalPages: 1, lastCursor: null, firstAvailableDateTime: null, lastAvailableDateTime: null });
        response.end(JSON.stringify({ result: [summary(ASKED), summary(OTHER)] }));
        return;
      }
      if ((request.url ?? '').endsWith('/listTransactions')) {
        response.end(JSON.stringify({ result: { transactions: [transactionOf(ASKED), transactionOf(OTHER)], nextCursor: null, prevCursor: null, lastCursor: null, totalPages: 1, firstAvailableDateTime: null, lastAvailableDateTime: null } }));
        return;
      }
      response.end(JSON.stringify({ result: { items: [balanceOf(ASKED, '10.00'), balanceOf(OTHER, '987654.32')], total: 2, position: 0 } }));
    });
  }, 60_000);
  afterAll(async () => {
    await close(upstream.server);
    await db?.drop();
  });

  it('takes a bank answering balances of an account it was not asked about as unavailable: none of its answer is shown', async () => {
    const bank = new AggregatedBank(db.dataSource, [new HttpBankConnector({ name: 'upstream-http', baseUrl: upstream.url, token: TOKEN, timeoutMs: 2000 })]);
    const page = await bank.listBalances([ASKED], null, 25);
    // The answer is untrustworthy: nothing of it is shown, and the account is reported unavailable.
    expect(page.items).toEqual([]);
    expect(page.unavailable).toEqual([ASKED]);
  });

  it('takes a bank answering summaries of an account it was not asked about as unavailable (the reads of several accounts at once)', async () => {
    const bank = new AggregatedBank(db.dataSource, [new HttpBankConnector({ name: 'upstream-http', baseUrl: upstream.url, token: TOKEN, timeoutMs: 2000 })]);
    const summaries = await bank.summarizeTransactions({ accountIds: [ASKED], creditDebitIndicators: ['Credit', 'Debit'], pageSize: 25 });
    expect(summaries).toEqual({ items: [], unavailable: [ASKED] });
  });

  it('refuses a transactions page holding another account\'s transactions as the bank unavailable', async () => {
    const bank = new AggregatedBank(db.dataSource, [new HttpBankConnector({ name: 'upstream-http', baseUrl: upstream.url, token: TOKEN, timeoutMs: 2000 })]);
    await expect(bank.listTransactions({ accountId: ASKED, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 25 })).rejects.toThrow(ConnectorUnavailableError);
  });
});

describe('AggregatedBank: an answer that is not what was asked (a page too long, outside its dates or key, looping)', () => {
  let db: TestDatabase;
  let upstream: { server: Server; url: string };
  /** What the upstream answers next, whatever it was asked. */
  let answer: unknown = null;

  const ACCOUNT = 'acc-upstream-window';
  const transactionAt = (id: string, at: string): BankTransaction => ({
    transactionId: id,
    accountId: ACCOUNT,
    transactionReference: null,
    amount: '25.00',
    currency: 'GBP',
    creditDebitIndicator: 'Debit',
    status: 'BOOK',
    bookingDateTime: new Date(at),
    valueDateTime: null,
    transactionInformation: 'Payment',
    bankTransactionCode: null,
    merchantName: null,
    merchantCategoryCode: null,
    balanceAfter: null,
  });
  const page = (transactions: BankTransaction[], nextCursor: string | null = null) => ({
    transactions,
    nextCursor,
    prevCursor: null,
    lastCursor: null,
    totalPages: 1,
    firstAvailableDateTime: null,
    lastAvailableDateTime: null,
  });
  const balance = (type: string): BankBalance => ({ accountId: ACCOUNT, type: type as BankBalance['type'], amount: '1.00', currency: 'GBP', creditDebitIndicator: 'Credit', dateTime: new Date('2026-01-01T00:00:00.000Z') });
  const window = { accountId: ACCOUNT, from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-06-30T00:00:00Z'), creditDebitIndicators: ['Debit'] as const, pageSize: 2 };

  beforeAll(async () => {
    db = await createTestDatabase('http_upstream_answers');
    await db.dataSource.query(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ('window-bank', 'Window Bank', 'window-http')`);
    const [{ psu_id: psuId }]: Array<{ psu_id: string }> = await db.dataSource.query(
      `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc) VALUES ('window', 'Window', 'x', 'x') RETURNING psu_id`,
    );
    await db.dataSource.query(
      `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
       VALUES ($1, 'window-bank', $2, 'GBP', 'Personal', 'CACC', 'UK.OBIE.SortCodeAccountNumber', '40400400000009', 'Holder')`,
      [ACCOUNT, psuId],
    );
    upstream = await listen((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ result: answer }));
    });
  }, 60_000);
  afterAll(async () => {
    await close(upstream.server);
    await db?.drop();
  });

  const bank = (): AggregatedBank => new AggregatedBank(db.dataSource, [new HttpBankConnector({ name: 'window-http', baseUrl: upstream.url, token: TOKEN, timeoutMs: 2000 })]);

  it('takes a transactions page within the dates, the page size and moving on as the answer', async () => {
    answer = page([transactionAt('t1', '2026-01-01T00:00:00Z'), transactionAt('t2', '2026-06-30T00:00:00Z')], 'NEXT');
    expect((await bank().listTransactions({ ...window, after: 'FIRST' })).transactions.map((t) => t.transactionId)).toEqual(['t1', 't2']);
  });

  it('refuses a transactions page with bookings outside the consent\'s dates, longer than asked, or whose next page is itself', async () => {
    // Until 7 December 2026 the dates and the page were the bank's word: an adapter ignoring `from`/`to`
    // showed the TPP transactions the PSU never consented to, one ignoring the cursor an endless Next.
    for (const [why, answered, query] of [
      ['booked before the window', page([transactionAt('old', '2019-06-01T00:00:00Z')]), window],
      ['booked after it', page([transactionAt('future', '2030-01-01T00:00:00Z')]), window],
      ['longer than the page', page([transactionAt('a', '2026-02-01T00:00:00Z'), transactionAt('b', '2026-02-02T00:00:00Z'), transactionAt('c', '2026-02-03T00:00:00Z')]), window],
      ['its own next page', page([transactionAt('a', '2026-02-01T00:00:00Z')], 'LOOP'), { ...window, after: 'LOOP' }],
    ] as const) {
      answer = answered;
      await expect(bank().listTransactions(query), why).rejects.toThrow(ConnectorUnavailableError);
    }
  });

  it('shows nothing of a list window longer than its limit, on the wrong side of its key, or counting past its total', async () => {
    for (const [why, answered, cursor] of [
      ['longer than the limit', { items: [balance('CLAV'), balance('CLBD'), balance('ITAV'), balance('ITBD')], total: 4, position: 0 }, null],
      ['at the key it starts after', { items: [balance('CLBD'), balance('ITAV')], total: 4, position: 2 }, { kind: 'after', key: { accountId: ACCOUNT, id: 'ITAV' } }],
      ['a position past the total', { items: [balance('ITAV')], total: 1, position: 7 }, { kind: 'after', key: { accountId: ACCOUNT, id: 'CLBD' } }],
    ] as const) {
      answer = answered;
      const listed = await bank().listBalances([ACCOUNT], cursor, 2);
      expect({ why, items: listed.items, unavailable: listed.unavailable }).toEqual({ why, items: [], unavailable: [ACCOUNT] });
    }
    answer = { items: [balance('CLAV'), balance('CLBD'), balance('ITAV')], total: 3, position: 0 };
    expect((await bank().listBalances([ACCOUNT], null, 2)).items.map((b) => b.type)).toEqual(['CLAV', 'CLBD']);
  });

  it('shows nothing of a list window holding a record twice or out of key order', async () => {
    // Until 8 December 2026 a balance answered twice was shown to the TPP twice (a probe's find).
    for (const [why, answered] of [
      ['a record twice', { items: [balance('ITAV'), balance('ITAV')], total: 2, position: 0 }],
      ['out of key order', { items: [balance('ITBD'), balance('ITAV')], total: 2, position: 0 }],
    ] as const) {
      answer = answered;
      const listed = await bank().listBalances([ACCOUNT], null, 5);
      expect({ why, items: listed.items, unavailable: listed.unavailable }).toEqual({ why, items: [], unavailable: [ACCOUNT] });
    }
  });

  it('refuses parties of a role not asked for: a beneficiary is never shown as the account\'s owner', async () => {
    const party = (accountRole: string) => ({
      accountId: ACCOUNT, accountRole, partyId: 'p-1', partyNumber: null, partyType: 'Sole', name: 'Someone', fullLegalName: null, emailAddress: null, phone: null, mobile: null, address: null,
    });
    answer = { items: [party('UK.OBIE.Beneficiary')], total: 1, position: 0 };
    // Until 8 December 2026 the API showed that party as the Principal asked for (a probe's find).
    expect((await bank().listAccountParties([ACCOUNT], { accountRole: 'UK.OBIE.Principal' }, null, 1)).unavailable).toEqual([ACCOUNT]);
    expect((await bank().listAccountParties([ACCOUNT], {}, null, 1)).items.map((p) => p.accountRole)).toEqual(['UK.OBIE.Beneficiary']);
    answer = { items: [party('UK.OBIE.Principal')], total: 1, position: 0 };
    expect((await bank().listAccountParties([ACCOUNT], { accountRole: 'UK.OBIE.Principal' }, null, 1)).items).toHaveLength(1);
  });
});

describe('AggregatedBank: its connectors', () => {
  it('refuses two connectors of one name: one bank\'s accounts and orders would go to the other', () => {
    const named = (name: string): HttpBankConnector => new HttpBankConnector({ name, baseUrl: 'https://bank.example', token: TOKEN });
    // No query is made: the data source is never asked before the first read.
    expect(() => new AggregatedBank({} as TestDatabase['dataSource'], [named('northwind'), named('sandbox-ledger'), named('northwind')])).toThrow(
      'bank connectors must have distinct names: northwind is named twice',
    );
  });
});
