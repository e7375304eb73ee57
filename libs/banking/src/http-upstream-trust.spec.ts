import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { AggregatedBank } from './aggregated-bank.js';
import { BankBalance, BankPaymentOrder, BankTransaction, ConnectorUnavailableError } from './bank-connector.js';
import { HttpBankConnector } from './http-bank.connector.js';

const TOKEN = 'upstream-connector-secret-0123456789';

interface Seen {
  path: string;
  authorization: string | undefined;
  body: string;
}

async function listen(handler: (request: IncomingMessage, body: string, response: ServerResponse) => void): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ path: request.url ?? '', authorization: request.headers.authorization, body });
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

const ORDER: BankPaymentOrder = {
  paymentId: 'dp-upstream',
  debtorAccountId: 'acc-upstream',
  amount: '10.00',
  currency: 'GBP',
  creditorAccount: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '40400411112222', name: 'Landlord' },
  reference: 'UPSTREAM',
  information: 'Private remittance text',
};

describe('HttpBankConnector: an upstream redirect is not followed', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
  });

  it('does not re-send the payment order (or anything) to the host a 307 from the bank points at', async () => {
    const elsewhere = await listen((_request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ result: { outcome: 'Accepted', transactionId: 'elsewhere', bookingDateTime: '2026-01-01T00:00:00.000Z' } }));
    });
    servers.push(elsewhere.server);
    const bank = await listen((request, _body, response) => {
      response.writeHead(307, { location: `${elsewhere.url}${request.url ?? ''}` });
      response.end();
    });
    servers.push(bank.server);
    const connector = new HttpBankConnector({ name: 'upstream-http', baseUrl: bank.url, token: TOKEN, timeoutMs: 2000 });

    const outcome = await connector.initiatePayment(ORDER).then(
      (result) => ({ result }),
      (error: unknown) => ({ error }),
    );

    // The order (payee, amount, remittance) went to a host the operator never configured, and its answer was taken as the bank's.
    expect(elsewhere.seen.map((s) => s.body)).toEqual([]);
    expect(outcome).not.toHaveProperty('result');
  });
});

describe('AggregatedBank: records an upstream answers for accounts it was not asked about', () => {
  let db: TestDatabase;
  let upstream: { server: Server; url: string; seen: Seen[] };

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
    upstream = await listen((request, _body, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
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

  it('refuses a transactions page holding another account\'s transactions as the bank unavailable', async () => {
    const bank = new AggregatedBank(db.dataSource, [new HttpBankConnector({ name: 'upstream-http', baseUrl: upstream.url, token: TOKEN, timeoutMs: 2000 })]);
    await expect(bank.listTransactions({ accountId: ASKED, creditDebitIndicators: ['Credit', 'Debit'], pageSize: 25 })).rejects.toThrow(ConnectorUnavailableError);
  });
});
