import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

describe('accounts under ReadAccountsBasic and ReadAccountsDetail', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await ApiHarness.start('accounts', { API_PAGE_SIZE: '10' });
  });
  afterAll(async () => h?.stop());

  it('shows no account identification under ReadAccountsBasic', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const result = await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
    expect(result.status).toBe(200);
    expectObSchema('OBReadAccount6', result.body);
    expect(result.body.Data.Account).toHaveLength(3);
    for (const account of result.body.Data.Account) {
      expect(account.Account).toBeUndefined();
      expect(account.Nickname).toBeTruthy();
    }
    expect(result.body.Links.Self).toBe(`${h.api.publicUrl}${AISP}/accounts`);
  });

  it('shows the account identification under ReadAccountsDetail', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsDetail']);
    const [accountId] = h.psuAccounts('alice');
    const result = await h.tpp('GET', `${AISP}/accounts/${accountId}`, { token: await h.consentToken(consentId) });
    expect(result.status).toBe(200);
    expectObSchema('OBReadAccount6', result.body);
    const [account] = result.body.Data.Account;
    expect(account.AccountId).toBe(accountId);
    expect(account.Account[0]).toMatchObject({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Name: 'Alice Walker' });
    expect(account.Account[0].Identification).toMatch(/^\d{14}$/);
  });

  it('masks a card number without ReadPAN and shows it in full with ReadPAN', async () => {
    const masked = await h.authorisedConsent(['ReadAccountsDetail'], 'bob');
    const full = await h.authorisedConsent(['ReadAccountsDetail', 'ReadPAN'], 'bob');
    const card = async (consentId: string) => {
      const result = await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
      expectObSchema('OBReadAccount6', result.body);
      return jsonString(result.body.Data.Account.find((a: JsonBody) => String(a.AccountTypeCode) === 'CARD')?.Account[0].Identification);
    };
    expect(await card(masked)).toMatch(/^411111\*{6}\d{4}$/);
    expect(await card(full)).toMatch(/^411111\d{10}$/);
  });

  it('refuses an account outside the consent and a missing one with the same 403', async () => {
    const [first, second] = h.psuAccounts('alice');
    const consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances'], 'alice', [first!]);
    const token = await h.consentToken(consentId);
    const outside = await h.tpp('GET', `${AISP}/accounts/${second}`, { token });
    const foreign = await h.tpp('GET', `${AISP}/accounts/${h.psuAccounts('bob')[0]}/balances`, { token });
    const missing = await h.tpp('GET', `${AISP}/accounts/no-such-account`, { token });
    for (const result of [outside, foreign, missing]) {
      expect(result.status).toBe(403);
      expectObSchema('OBErrorResponse1', result.body);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U011', Message: 'The account is not covered by the consent', Path: 'AccountId' }]);
    }
  });

  it('refuses a resource the consent has no permission for', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const result = await h.tpp('GET', `${AISP}/balances`, { token: await h.consentToken(consentId) });
    expect(result.status).toBe(403);
    expect(result.body.Errors[0].Message).toBe('The consent does not grant ReadBalances');
  });

  it('refuses a consent not yet authorised', async () => {
    const created = await h.tpp('POST', `${AISP}/account-access-consents`, {
      token: await h.clientCredentialsToken(),
      body: { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} },
    });
    const result = await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(jsonString(created.body.Data.ConsentId)) });
    expect(result.status).toBe(403);
    expect(result.body.Errors[0].ErrorCode).toBe('U009');
  });

  it('lists balances shaped as OBReadBalance1', async () => {
    const consentId = await h.authorisedConsent(['ReadBalances']);
    const token = await h.consentToken(consentId);
    const all = await h.tpp('GET', `${AISP}/balances`, { token });
    expect(all.status).toBe(200);
    expectObSchema('OBReadBalance1', all.body);
    expect(all.body.Data.Balance).toHaveLength(6);
    const [accountId] = h.psuAccounts('alice');
    const one = await h.tpp('GET', `${AISP}/accounts/${accountId}/balances`, { token });
    expectObSchema('OBReadBalance1', one.body);
    expect(one.body.Data.Balance.map((b: JsonBody) => b.Type).sort()).toEqual(['ITAV', 'ITBD']);
  });

  it('pages transactions with Links.Next and Meta.TotalPages, Basic without the narrative', async () => {
    const consentId = await h.authorisedConsent(['ReadTransactionsBasic', 'ReadTransactionsCredits', 'ReadTransactionsDebits']);
    const token = await h.consentToken(consentId);
    const [accountId] = h.psuAccounts('alice');
    const seen = new Set<string>();
    let path: string | null = `${AISP}/accounts/${accountId}/transactions`;
    let pages = 0;
    while (path) {
      const result = await h.tpp('GET', path, { token });
      expect(result.status).toBe(200);
      expectObSchema('OBReadTransaction6', result.body);
      expect(result.body.Meta.TotalPages).toBe(3);
      for (const t of result.body.Data.Transaction) {
        expect(t.TransactionInformation).toBeUndefined();
        expect(t.MerchantDetails).toBeUndefined();
        seen.add(jsonString(t.TransactionId));
      }
      path = result.body.Links.Next ? jsonString(result.body.Links.Next).slice(h.api.publicUrl.length) : null;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.size).toBe(30);
  }, 30_000);

  it('shows only credits under ReadTransactionsCredits, with details under Detail', async () => {
    const consentId = await h.authorisedConsent(['ReadTransactionsDetail', 'ReadTransactionsCredits']);
    const [accountId] = h.psuAccounts('alice');
    const result = await h.tpp('GET', `${AISP}/accounts/${accountId}/transactions`, { token: await h.consentToken(consentId) });
    expectObSchema('OBReadTransaction6', result.body);
    expect(result.body.Data.Transaction.length).toBeGreaterThan(0);
    for (const t of result.body.Data.Transaction) {
      expect(t.CreditDebitIndicator).toBe('Credit');
      expect(t.TransactionInformation).toBeTruthy();
    }
  });

  it('clips the booking window to the consent’s transaction period', async () => {
    const from = new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString();
    const consentId = await h.authorisedConsent(
      ['ReadTransactionsBasic', 'ReadTransactionsCredits', 'ReadTransactionsDebits'],
      'alice',
      undefined,
      { TransactionFromDateTime: from },
    );
    const [accountId] = h.psuAccounts('alice');
    const result = await h.tpp('GET', `${AISP}/accounts/${accountId}/transactions?fromBookingDateTime=2000-01-01`, { token: await h.consentToken(consentId) });
    expect(result.status).toBe(200);
    expectObSchema('OBReadTransaction6', result.body);
    expect(result.body.Data.Transaction.length).toBeGreaterThan(0);
    for (const t of result.body.Data.Transaction) expect(Date.parse(jsonString(t.BookingDateTime))).toBeGreaterThanOrEqual(Date.parse(from));
  });

  it('refuses a malformed booking date with 400 U003', async () => {
    const consentId = await h.authorisedConsent(['ReadTransactionsBasic', 'ReadTransactionsDebits']);
    const [accountId] = h.psuAccounts('alice');
    const result = await h.tpp('GET', `${AISP}/accounts/${accountId}/transactions?toBookingDateTime=last-week`, { token: await h.consentToken(consentId) });
    expect(result.status).toBe(400);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: 'U003', Path: 'toBookingDateTime' });
  });

  it('records each data access in the outbox, without account numbers', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances']);
    const token = await h.consentToken(consentId);
    const interactionId = '0b6a4c38-1f4c-4a8e-9a55-5d0b7b0c7e11';
    const result = await h.tpp('GET', `${AISP}/accounts`, { token, headers: { 'x-fapi-interaction-id': interactionId } });
    const numbers = result.body.Data.Account.map((a: JsonBody) => jsonString(a.Account[0].Identification));
    const rows = await h.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'type' = 'data.accessed' AND event->>'interactionId' = $1`, [interactionId]);
    expect(rows).toHaveLength(1);
    const event = rows[0].event;
    expect(event).toMatchObject({ consentId, clientId: h.clientId, actor: { type: 'tpp', id: h.clientId }, data: { resource: 'accounts', count: 3 } });
    expect(event.data.accountIds).toHaveLength(3);
    const stored = JSON.stringify(event);
    for (const number of numbers) expect(stored).not.toContain(number);
  });
});
