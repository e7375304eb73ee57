import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, jsonString } from '../support/api-harness.js';

const encoded = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A page cursor is opaque to the TPP but readable: one edited so that it decodes, with a NUL in an id
 * (PostgreSQL's text holds none) or an instant JavaScript reads and PostgreSQL's timestamptz does not
 * (years beyond 0001-9999), failed in the database and answered 500 until 7 December 2026. A cursor not
 * of the shape this API issues is refused: 400 U002, Path `page`.
 */
describe('AIS page cursors edited by the TPP are refused as cursors (400 U002), never a database error', () => {
  let h: ApiHarness;
  let token: string;
  let account: string;

  beforeAll(async () => {
    h = await ApiHarness.start('ais_tampered_cursors', { API_PAGE_SIZE: '4' });
    const consentId = await h.authorisedConsent(['ReadAccountsBasic', 'ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits', 'ReadBalances']);
    token = await h.consentToken(consentId);
    account = h.psuAccounts('alice')[0]!;
  });
  afterAll(async () => h?.stop());

  const refusedAsCursor = async (path: string, page: string): Promise<void> => {
    const answer = await h.tpp('GET', `${AISP}/${path}?page=${page}`, { token });
    expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).toBe(400);
    expect(answer.body).toMatchObject({ Errors: [{ ErrorCode: 'U002', Path: 'page' }] });
  };

  it('an account’s transactions: a NUL in the record id, or an instant outside 0001-9999', async () => {
    await refusedAsCursor(`accounts/${account}/transactions`, encoded({ d: 'n', b: '2020-01-01T00:00:00.000Z', t: 'a\u0000b' }));
    for (const b of ['+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '1 1 1']) {
      await refusedAsCursor(`accounts/${account}/transactions`, encoded({ d: 'p', b, t: 'x' }));
    }
  });

  it('the bulk transactions: a NUL in the inner cursor or in the account id', async () => {
    await refusedAsCursor('transactions', encoded({ a: account, c: encoded({ d: 'n', b: '2020-01-01T00:00:00.000Z', t: '\u0000' }) }));
    await refusedAsCursor('transactions', encoded({ a: `${account}\u0000`, c: null }));
  });

  it('the lists paged by record id (accounts, balances, an account’s balances)', async () => {
    for (const path of ['balances', 'accounts', `accounts/${account}/balances`]) {
      await refusedAsCursor(path, encoded(['\u0000', 'x']));
      await refusedAsCursor(path, encoded(['<', 'x', 'y'.repeat(300)]));
    }
  });

  it('another account’s cursor, alone or inside a bulk cursor (until 8 December 2026 it read this account from the other’s position)', async () => {
    const [mine, other] = h.psuAccounts('alice');
    const first = await h.tpp('GET', `${AISP}/accounts/${mine}/transactions`, { token });
    const foreign = new URL(jsonString(first.body.Links.Next)).searchParams.get('page')!;
    await refusedAsCursor(`accounts/${other}/transactions`, foreign);
    await refusedAsCursor('transactions', encoded({ a: other, c: foreign }));
    expect((await h.tpp('GET', `${AISP}/accounts/${mine}/transactions?page=${foreign}`, { token })).status).toBe(200);
  });

  it('the cursors as issued still read their pages (Next, then Prev)', async () => {
    for (const path of [`accounts/${account}/transactions`, 'transactions']) {
      const first = await h.tpp('GET', `${AISP}/${path}`, { token });
      expect(first.status).toBe(200);
      const next = new URL(jsonString(first.body.Links.Next));
      const second = await h.tpp('GET', next.pathname + next.search, { token });
      expect(second.status, path).toBe(200);
      const prev = new URL(jsonString(second.body.Links.Prev));
      expect((await h.tpp('GET', prev.pathname + prev.search, { token })).status, path).toBe(200);
    }
  });
});
