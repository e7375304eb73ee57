import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ConnectorServer, FaultyAnswer, serveBankConnector } from '../test-support/index.js';
import { BankAccount, BankConnector, BankPaymentOrder, BankPaymentResult, ConnectorUnavailableError, InvalidCursorError } from './bank-connector.js';
import { readConnectorResult, ResultShapeError } from './connector-results.js';
import { HttpBankConnector, MAX_RESPONSE_BYTES } from './http-bank.connector.js';

const TOKEN = 'connector-spec-secret-0123456789';
const HOLDER = 'Alice Personal-Data';

const ACCOUNT: BankAccount = {
  accountId: 'acc-1',
  aspspId: 'spec-bank',
  status: 'Enabled',
  currency: 'GBP',
  accountCategory: 'Personal',
  accountTypeCode: 'CACC',
  description: null,
  nickname: null,
  openingDate: '2020-01-01',
  schemeName: 'UK.OBIE.SortCodeAccountNumber',
  identification: '40400412345678',
  holderName: HOLDER,
};

const ORDER: BankPaymentOrder = {
  paymentId: 'dp-spec-1',
  debtorAccountId: 'acc-1',
  amount: '10.00',
  currency: 'GBP',
  creditorAccount: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '40400411112222', name: 'Landlord' },
  reference: 'SPEC',
  information: null,
};

const notServed = (): Promise<never> => Promise.reject(new Error('not served by this stub'));

/** The bank behind the upstream: a debit, a funds check and one account; the rest is not asked here. */
function stubBank(debits: string[]): BankConnector {
  return {
    name: 'spec-bank',
    listAccountsOfPsu: notServed,
    findAccounts: async () => [ACCOUNT],
    listAccounts: async () => ({ items: [ACCOUNT], total: 1, position: 0 }),
    listBalances: notServed,
    listTransactions: notServed,
    summarizeTransactions: notServed,
    listBeneficiaries: notServed,
    listDirectDebits: notServed,
    listStandingOrders: notServed,
    listScheduledPayments: notServed,
    listStatements: notServed,
    listAccountParties: notServed,
    findPsuParty: notServed,
    listProducts: notServed,
    listOffers: notServed,
    initiatePayment: async (order): Promise<BankPaymentResult> => {
      debits.push(order.paymentId);
      return { outcome: 'Accepted', transactionId: order.paymentId, bookingDateTime: new Date('2026-01-02T03:04:05.000Z') };
    },
    confirmFunds: async () => true,
  };
}

describe('HttpBankConnector: an answer it cannot read as the contract is the bank being unavailable', () => {
  let server: ConnectorServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
    vi.restoreAllMocks();
  });

  async function upstream(faulty: (operation: string) => FaultyAnswer | null, debits: string[] = []): Promise<HttpBankConnector> {
    server = await serveBankConnector(stubBank(debits), { token: TOKEN, faulty });
    return new HttpBankConnector({ name: 'spec-http', baseUrl: server.url, token: TOKEN, timeoutMs: 5000 });
  }

  async function expectUnavailable(call: Promise<unknown>, reason: RegExp): Promise<void> {
    const error: unknown = await call.then(
      () => null,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ConnectorUnavailableError);
    expect((error as ConnectorUnavailableError).connector).toBe('spec-http');
    expect((error as ConnectorUnavailableError).message).toMatch(reason);
  }

  it('reads an answer of the contract, dates revived and fields outside it dropped', async () => {
    const connector = await upstream((operation) => (operation === 'findAccounts' ? { kind: 'result', result: [{ ...ACCOUNT, extra: 'not in the contract' }] } : null));
    expect(await connector.initiatePayment(ORDER)).toEqual({ outcome: 'Accepted', transactionId: 'dp-spec-1', bookingDateTime: new Date('2026-01-02T03:04:05.000Z') });
    expect(await connector.confirmFunds('acc-1', '1.00', 'GBP')).toBe(true);
    expect(await connector.findAccounts(['acc-1'])).toEqual([ACCOUNT]);
    expect(await connector.listAccounts(['acc-1'], { direction: 'asc', limit: 10 })).toEqual({ items: [ACCOUNT], total: 1, position: 0 });
  });

  it('refuses a payment answer cut short after the bank debited, as unavailable: the outcome is unknown, the order may be sent again', async () => {
    const debits: string[] = [];
    const connector = await upstream((operation) => (operation === 'initiatePayment' ? { kind: 'cut' } : null), debits);
    await expectUnavailable(connector.initiatePayment(ORDER), /spec-http: upstream initiatePayment answer cut short/);
    expect(debits).toEqual(['dp-spec-1']);
  });

  it('never follows a redirect: the order is not sent to the host the Location names, and the outcome is unknown', async () => {
    // Until 7 December 2026 fetch's default followed it, re-sent the order and took that host's answer for the bank's.
    const elsewhere: string[] = [];
    const servers = [
      createServer((request, response) => {
        elsewhere.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { outcome: 'Accepted', transactionId: 'x', bookingDateTime: '2026-01-01T00:00:00.000Z' } }));
      }),
    ];
    const listening = (index: number): Promise<string> =>
      new Promise((resolve) => servers[index]!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(servers[index]!.address() as AddressInfo).port}`)));
    const target = await listening(0);
    servers.push(createServer((request, response) => response.writeHead(307, { location: `${target}${request.url ?? ''}` }).end()));
    const bank = await listening(1);
    try {
      const connector = new HttpBankConnector({ name: 'spec-http', baseUrl: bank, token: TOKEN, timeoutMs: 5000 });
      await expectUnavailable(connector.initiatePayment(ORDER), /spec-http: upstream answered 307/);
      expect(elsewhere).toEqual([]);
    } finally {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });

  it('takes a payment answered with any 4xx after the bank debited as unknown, not as a refusal or the TPP\'s cursor', async () => {
    // Until 7 December 2026 a 400 invalid_cursor reached the TPP as "The page cursor is not valid" and any
    // other 4xx as a 500, while the order stood PDNG, debited, and a replay of its key answered 201.
    for (const [status, error] of [[400, 'invalid_cursor'], [400, 'invalid_request'], [401, 'unauthorized'], [404, 'not_found'], [409, 'conflict'], [429, 'slow_down']] as const) {
      const debits: string[] = [];
      const connector = await upstream((operation) => (operation === 'initiatePayment' ? { kind: 'error', status, error } : null), debits);
      await expectUnavailable(connector.initiatePayment(ORDER), new RegExp(`initiatePayment answered ${status}`));
      expect(debits).toEqual(['dp-spec-1']);
      await server?.close();
      server = null;
    }
  });

  it('takes a bank asking to wait (408, 429) as unavailable for a read too, so only its own accounts go missing', async () => {
    for (const status of [408, 429]) {
      const connector = await upstream(() => ({ kind: 'error', status, error: 'slow_down' }));
      await expectUnavailable(connector.findAccounts(['acc-1']), new RegExp(`findAccounts answered ${status}`));
      await server?.close();
      server = null;
    }
  });

  it('refuses an HTML page answered with 200 as unavailable', async () => {
    const connector = await upstream(() => ({ kind: 'html' }));
    await expectUnavailable(connector.initiatePayment(ORDER), /initiatePayment answer is not JSON/);
    await expectUnavailable(connector.findAccounts(['acc-1']), /findAccounts answer is not JSON/);
  });

  it('stops reading an answer larger than its cap and refuses it as unavailable', async () => {
    const connector = await upstream(() => ({ kind: 'oversize', bytes: MAX_RESPONSE_BYTES + 1 }));
    await expectUnavailable(connector.confirmFunds('acc-1', '1.00', 'GBP'), new RegExp(`confirmFunds answer larger than ${MAX_RESPONSE_BYTES} bytes`));
  });

  it.each<[string, unknown]>([
    ['an outcome outside the contract', { outcome: 'Pending', transactionId: 'dp-spec-1' }],
    ['no outcome', { transactionId: 'dp-spec-1' }],
    ['a transactionId of the wrong type', { outcome: 'Accepted', transactionId: 42, bookingDateTime: '2026-01-02T03:04:05.000Z' }],
    ['a transactionId PostgreSQL cannot store (U+0000)', { outcome: 'Accepted', transactionId: 'tx-\u0000-1', bookingDateTime: '2026-01-02T03:04:05.000Z' }],
    ['a transactionId with half of a surrogate pair', { outcome: 'Accepted', transactionId: 'tx-\uD800', bookingDateTime: '2026-01-02T03:04:05.000Z' }],
    ['a booking date-time that is not one', { outcome: 'Accepted', transactionId: 'dp-spec-1', bookingDateTime: 'yesterday' }],
    ['a rejection reason outside the contract', { outcome: 'Rejected', reason: 'XX99' }],
    ['a string', 'Accepted'],
  ])('refuses a payment answer with %s as unavailable, never as a rejection', async (_case, result) => {
    const connector = await upstream((operation) => (operation === 'initiatePayment' ? { kind: 'result', result } : null));
    await expectUnavailable(connector.initiatePayment(ORDER), /initiatePayment answer outside the contract \(result/);
  });

  it('refuses funds checks and reads of another shape as unavailable', async () => {
    const funds = await upstream((operation) => (operation === 'confirmFunds' ? { kind: 'result', result: 'yes' } : null));
    await expectUnavailable(funds.confirmFunds('acc-1', '1.00', 'GBP'), /confirmFunds answer outside the contract \(result: expected a boolean\)/);
    await server?.close();
    const reads = await upstream((operation) => {
      if (operation === 'findAccounts') return { kind: 'result', result: [{ ...ACCOUNT, status: 'Open' }] };
      if (operation === 'listAccounts') return { kind: 'result', result: { items: [{ ...ACCOUNT, identification: 40400412345678 }], position: 0 } };
      return null;
    });
    await expectUnavailable(reads.findAccounts(['acc-1']), /findAccounts answer outside the contract \(result\[0\]\.status: expected one of Enabled/);
    await expectUnavailable(reads.listAccounts(['acc-1'], { direction: 'asc', limit: 10 }), /listAccounts answer outside the contract \(result\.items\[0\]\.identification: expected a string\)/);
  });

  it('refuses what the TPP would be shown outside OB\'s forms, an impossible date and an acceptance without its transaction id', async () => {
    // Until 7 December 2026 each was taken: "pounds" and 30 digits reached the API's answers, 30 February
    // was read as 2 March, and an Accepted payment was booked with an empty transaction id.
    const reads = await upstream((operation) => (operation === 'findAccounts' ? { kind: 'result', result: [{ ...ACCOUNT, currency: 'pounds' }] } : null));
    await expectUnavailable(reads.findAccounts(['acc-1']), /result\[0\]\.currency: expected an ISO 4217 currency code/);
    await server?.close();
    const accepted = { outcome: 'Accepted', transactionId: 'tx-1', bookingDateTime: '2026-01-02T03:04:05.000Z' };
    for (const [answer, reason] of [
      [{ ...accepted, transactionId: '' }, /transactionId: expected text of 1 to 210 characters/],
      [{ ...accepted, bookingDateTime: '2026-02-30T00:00:00Z' }, /bookingDateTime: expected an ISO 8601 date-time/],
    ] as const) {
      const payments = await upstream((operation) => (operation === 'initiatePayment' ? { kind: 'result', result: answer } : null));
      await expectUnavailable(payments.initiatePayment(ORDER), reason);
      await server?.close();
      server = null;
    }
    const balance = { accountId: 'acc-1', type: 'ITAV', currency: 'GBP', creditDebitIndicator: 'Credit', dateTime: new Date('2026-01-01T00:00:00Z') };
    expect(() => readConnectorResult('listBalances', { result: { items: [{ ...balance, amount: '123456789012345678901234567890.1234567' }], total: 1, position: 0 } })).toThrow(ResultShapeError);
    expect(readConnectorResult('listBalances', { result: { items: [{ ...balance, amount: '9999999999999.99999' }], total: 1, position: 0 } }).items).toHaveLength(1);
  });

  it('refuses text the API would relay outside its OB field: lengths (code points), an account type outside the code set, an opening date that is no day', () => {
    // Until 7 December 2026 each was taken and relayed to TPPs (an OpeningDate of "not-a-dateT00:00:00+00:00").
    const accounts = (fields: Record<string, unknown>) => () => readConnectorResult('findAccounts', { result: [{ ...ACCOUNT, ...fields }] });
    for (const [fields, reason] of [
      [{ identification: 'x'.repeat(257) }, /result\[0\]\.identification: expected text of 1 to 256 characters/],
      [{ holderName: 'n'.repeat(351) }, /holderName: expected text of 1 to 350 characters/],
      [{ accountId: '' }, /accountId: expected text of 1 to 40 characters/],
      [{ accountTypeCode: 'Bogus<script>' }, /accountTypeCode: expected one of CACC/],
      [{ openingDate: 'not-a-date' }, /openingDate: expected a calendar day/],
      [{ openingDate: '2021-02-30' }, /openingDate: expected a calendar day/],
    ] as const) {
      expect(accounts(fields)).toThrow(reason);
    }
    // A limit counts code points, as the OB schema's maxLength does: 350 emoji are a name, not 700 characters.
    expect(readConnectorResult('findAccounts', { result: [{ ...ACCOUNT, holderName: '😀'.repeat(350) }] })).toHaveLength(1);
    const transaction = {
      transactionId: 'tx-1',
      accountId: 'acc-1',
      transactionReference: null,
      amount: '1.00',
      currency: 'GBP',
      creditDebitIndicator: 'Debit',
      status: 'BOOK',
      bookingDateTime: new Date('2026-01-01T00:00:00Z'),
      valueDateTime: null,
      transactionInformation: null,
      bankTransactionCode: null,
      merchantName: null,
      merchantCategoryCode: null,
      balanceAfter: null,
    };
    const page = (fields: Record<string, unknown>) => () =>
      readConnectorResult('listTransactions', { result: { transactions: [{ ...transaction, ...fields }], nextCursor: null, totalPages: 1, firstAvailableDateTime: null, lastAvailableDateTime: null } });
    expect(page({ transactionId: '' })).toThrow(/transactionId: expected text of 1 to 210 characters/);
    expect(page({ transactionInformation: 'i'.repeat(501) })).toThrow(/transactionInformation: expected text of 1 to 500 characters/);
    expect(page({ merchantCategoryCode: 'X' })).toThrow(/merchantCategoryCode: expected text of 3 to 4 characters/);
    expect(page({ merchantName: 'm'.repeat(350), merchantCategoryCode: '5411' })().transactions).toHaveLength(1);
    expect(() => readConnectorResult('findPsuParty', { result: { partyId: 'p-1', partyNumber: '9'.repeat(36), partyType: 'Sole', name: 'Alice', fullLegalName: null, emailAddress: null, phone: null, mobile: null, address: null } })).toThrow(
      /partyNumber: expected text of 1 to 35 characters/,
    );
  });

  it('refuses the rest of the text the API relays outside its OB field, and ids that would key a page cursor with a control character', () => {
    // Until 8 December 2026 these were any string: a ProductId of 41 characters reached the TPP outside
    // OBReadProduct2, and a BeneficiaryId holding a tab keyed Next links the API then refused (probe finds).
    const one = (item: Record<string, unknown>) => ({ result: { items: [item], total: 1, position: 0 } });
    const product = { accountId: 'acc-1', productId: 'prod-1', productName: 'Current', productType: 'PersonalCurrentAccount', secondaryProductId: null, marketingStateId: null };
    const offer = { accountId: 'acc-1', offerId: 'off-1', offerType: 'Other', description: 'An offer', startDateTime: null, endDateTime: null, rate: null, term: null, url: null, amount: null, fee: null, currency: 'GBP' };
    const directDebit = { accountId: 'acc-1', directDebitId: 'dd-1', statusCode: 'ACTV', mandateIdentification: 'MANDATE-1', frequency: 'MNTH', name: 'Utility', previousPaymentDateTime: null, previousPaymentAmount: null, currency: 'GBP' };
    const party = { accountId: 'acc-1', accountRole: 'UK.OBIE.Principal', partyId: 'p-1', partyNumber: null, partyType: 'Sole', name: 'Alice', fullLegalName: null, emailAddress: null, phone: null, mobile: null, address: null };
    const beneficiary = { accountId: 'acc-1', beneficiaryId: 'b-1', beneficiaryType: null, reference: null, creditorAgent: null, creditorAccount: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '40400411112222', name: null } };
    for (const [operation, item, reason] of [
      ['listProducts', { ...product, productId: 'P'.repeat(41) }, /productId: expected text of 1 to 40 characters/],
      ['listProducts', { ...product, productId: '' }, /productId: expected text of 1 to 40 characters/],
      ['listProducts', { ...product, productName: 'N'.repeat(351) }, /productName: expected text of 1 to 350 characters/],
      ['listOffers', { ...offer, offerId: 'O'.repeat(41) }, /offerId: expected text of 1 to 40 characters/],
      ['listOffers', { ...offer, description: 'D'.repeat(501) }, /description: expected text of 1 to 500 characters/],
      ['listOffers', { ...offer, rate: 'high' }, /rate: expected a rate of OB Rate/],
      ['listDirectDebits', { ...directDebit, mandateIdentification: 'M'.repeat(36) }, /mandateIdentification: expected text of 1 to 35 characters/],
      ['listDirectDebits', { ...directDebit, name: 'N'.repeat(71) }, /name: expected text of 1 to 70 characters/],
      ['listAccountParties', { ...party, accountRole: 'R'.repeat(71) }, /accountRole: expected text of 1 to 70 characters/],
      ['listAccountParties', { ...party, mobile: '07700 900123' }, /mobile: expected a phone number of OB PhoneNumber/],
      ['listAccountParties', { ...party, address: { streetName: null, buildingNumber: null, postCode: null, townName: null, country: 'United Kingdom' } }, /country: expected an ISO 3166 country code/],
      ['listBeneficiaries', { ...beneficiary, beneficiaryId: '\tb-1' }, /beneficiaryId: expected an id without control characters/],
      ['listAccountParties', { ...party, partyId: 'p\u00851' }, /partyId: expected an id without control characters/],
    ] as const) {
      expect(() => readConnectorResult(operation, one(item)), `${operation} ${String(reason)}`).toThrow(reason);
    }
    expect(readConnectorResult('listAccountParties', one({ ...party, mobile: '+44-7700900123', address: { streetName: 'High Street', buildingNumber: '12', postCode: 'SW1A 1AA', townName: 'London', country: 'GB' } })).items).toHaveLength(1);
    expect(readConnectorResult('listOffers', one({ ...offer, rate: '-12.5', url: 'https://bank.example/offer' })).items).toHaveLength(1);
  });

  it('takes a bank refusing a first page "invalid_cursor" as unavailable: only a cursor the TPP sent can be the TPP\'s', async () => {
    const bank = createServer((_request, response) => response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_cursor' })));
    const url = await new Promise<string>((resolve) => bank.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(bank.address() as AddressInfo).port}`)));
    try {
      const refusing = new HttpBankConnector({ name: 'spec-http', baseUrl: url, token: TOKEN, timeoutMs: 5000 });
      // Until 8 December 2026 this was InvalidCursorError (400 U002 to a TPP that sent no cursor).
      await expectUnavailable(refusing.listTransactions({ accountId: 'acc-1', creditDebitIndicators: ['Credit', 'Debit'], pageSize: 10 }), /refused listTransactions with 400/);
      await expect(refusing.listTransactions({ accountId: 'acc-1', creditDebitIndicators: ['Credit'], pageSize: 10, after: 'a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
    } finally {
      await new Promise((resolve) => bank.close(resolve));
    }
  });

  it('logs the bank and the reason, never the answer’s content', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const connector = await upstream((operation) => (operation === 'findAccounts' ? { kind: 'result', result: [{ ...ACCOUNT, accountCategory: HOLDER }] } : null));
    await expectUnavailable(connector.findAccounts(['acc-1']), /outside the contract/);
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0]?.[0]);
    expect(line).toBe('bank connector spec-http: findAccounts answer outside the contract (result[0].accountCategory: expected one of Personal, Business); treated as unavailable');
    expect(line).not.toContain(HOLDER);
  });
});
