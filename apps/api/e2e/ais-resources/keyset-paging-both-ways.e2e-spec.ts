import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

interface ListCase {
  name: string;
  path: (alice: string[]) => string;
  schema: string;
  dataKey: string;
  idKey: string;
  permissions: Parameters<ApiHarness['authorisedConsent']>[0];
  /** Records and pages (of 4) the list holds. */
  records: number;
  pages: number;
}

const ALL_TRANSACTIONS = ['ReadTransactionsBasic', 'ReadTransactionsCredits', 'ReadTransactionsDebits'] as const;

const CASES: ListCase[] = [
  {
    name: 'one account’s transactions',
    path: (alice) => `${AISP}/accounts/${alice[0]}/transactions`,
    schema: 'OBReadTransaction6',
    dataKey: 'Transaction',
    idKey: 'TransactionId',
    permissions: [...ALL_TRANSACTIONS],
    records: 30,
    pages: 8,
  },
  {
    name: 'bulk transactions',
    path: () => `${AISP}/transactions`,
    schema: 'OBReadTransaction6',
    dataKey: 'Transaction',
    idKey: 'TransactionId',
    permissions: [...ALL_TRANSACTIONS],
    records: 90,
    pages: 24,
  },
  {
    name: 'bulk beneficiaries (the generic list responder)',
    path: () => `${AISP}/beneficiaries`,
    schema: 'OBReadBeneficiary5',
    dataKey: 'Beneficiary',
    idKey: 'BeneficiaryId',
    permissions: ['ReadBeneficiariesBasic'],
    records: 6,
    pages: 2,
  },
];

describe('keyset paging forwards and backwards with Links.Prev and Links.Last', () => {
  let h: ApiHarness;
  let alice: string[];

  beforeAll(async () => {
    h = await ApiHarness.start('keyset-paging-both-ways', { API_PAGE_SIZE: '4' });
    alice = h.psuAccounts('alice');
  });
  afterAll(async () => h?.stop());

  const local = (link: JsonBody) => {
    const url = jsonString(link);
    expect(url.startsWith(h.api.publicUrl)).toBe(true);
    return url.slice(h.api.publicUrl.length);
  };

  async function page(token: string, path: string, c: ListCase): Promise<{ ids: string[]; links: JsonBody; meta: JsonBody }> {
    const result = await h.tpp('GET', path, { token });
    expect(result.status).toBe(200);
    expectObSchema(c.schema, result.body);
    expect(result.body.Links.Self).toBe(`${h.api.publicUrl}${path}`);
    return { ids: result.body.Data[c.dataKey].map((r: JsonBody) => jsonString(r[c.idKey])), links: result.body.Links, meta: result.body.Meta };
  }

  /** Follows `rel` from `start` until it is absent; the pages in the order read. */
  async function follow(token: string, start: string, rel: 'Next' | 'Prev', c: ListCase): Promise<string[][]> {
    const pages: string[][] = [];
    let path: string | null = start;
    while (path) {
      const read = await page(token, path, c);
      pages.push(read.ids);
      path = read.links[rel] ? local(read.links[rel]) : null;
      if (pages.length > c.pages + 5) throw new Error('paging does not end');
    }
    return pages;
  }

  for (const c of CASES) {
    it(`pages ${c.name} forward to the end and back to the start through the same pages`, async () => {
      const token = await h.consentToken(await h.authorisedConsent(c.permissions));
      const first = await page(token, c.path(alice), c);
      expect(first.meta.TotalPages).toBe(c.pages);
      expect(first.links.First).toBe(`${h.api.publicUrl}${c.path(alice)}`);
      expect(first.links.Prev).toBeUndefined();
      expect(first.links.Next).toBeDefined();
      expect(first.links.Last).toBeDefined();

      const forward = await follow(token, c.path(alice), 'Next', c);
      expect(forward).toHaveLength(c.pages);
      expect(forward.flat()).toHaveLength(c.records);
      expect(new Set(forward.flat()).size).toBe(c.records);
      expect(forward.every((ids) => ids.length > 0 && ids.length <= 4)).toBe(true);

      // Back from the page Next ended on, Prev by Prev: the same pages, each in the same order.
      let end = c.path(alice);
      for (let i = 1; i < c.pages; i++) end = local((await page(token, end, c)).links.Next);
      const backward = await follow(token, end, 'Prev', c);
      expect(backward.reverse()).toEqual(forward);
    }, 60_000);

    it(`gives ${c.name}' final page under Links.Last, with Prev and no Next`, async () => {
      const token = await h.consentToken(await h.authorisedConsent(c.permissions));
      const first = await page(token, c.path(alice), c);
      const forward = await follow(token, c.path(alice), 'Next', c);
      const last = await page(token, local(first.links.Last), c);
      expect(last.ids).toEqual(forward[forward.length - 1]);
      expect(last.links.Next).toBeUndefined();
      expect(last.links.Last).toBe(first.links.Last);
      expect(last.links.First).toBe(first.links.First);
      expect((await page(token, local(last.links.Prev), c)).ids).toEqual(forward[forward.length - 2]);
    }, 60_000);
  }

  it('keeps backward pages stable when transactions are inserted between page reads', async () => {
    const c = CASES[0]!;
    const token = await h.consentToken(await h.authorisedConsent(c.permissions));
    const original = (await follow(token, c.path(alice), 'Next', c)).flat();
    const first = await page(token, c.path(alice), c);
    const last = await page(token, local(first.links.Last), c);
    // One sorts after everything already read, one before everything still to read.
    await h.dataSource.query(
      `INSERT INTO transaction (transaction_id, account_id, amount, currency, credit_debit_indicator, status, booking_date_time)
       VALUES ('inserted-late', $1, 1, 'GBP', 'Debit', 'BOOK', now() + interval '1 day'),
              ('inserted-early', $1, 1, 'GBP', 'Credit', 'BOOK', now() - interval '400 days')`,
      [alice[0]],
    );
    const before = await follow(token, local(last.links.Prev), 'Prev', c);
    const seen = [...before.reverse().flat(), ...last.ids];
    expect(seen).not.toContain('inserted-late');
    expect(seen.filter((id) => id !== 'inserted-early')).toEqual(original);
    expect(seen[0]).toBe('inserted-early');
    await h.dataSource.query(`DELETE FROM transaction WHERE transaction_id IN ('inserted-late', 'inserted-early')`);
  }, 60_000);

  it('refuses a forged Prev or Last cursor (400 U002)', async () => {
    const token = await h.consentToken(await h.authorisedConsent(['ReadBeneficiariesBasic', ...ALL_TRANSACTIONS]));
    const forgeries = [
      `${AISP}/beneficiaries?page=${Buffer.from(JSON.stringify(['<', 'account', 'id', 'extra'])).toString('base64url')}`,
      `${AISP}/beneficiaries?page=${Buffer.from(JSON.stringify(['>|', 'account', 'id'])).toString('base64url')}`,
      `${AISP}/accounts/${alice[0]}/transactions?page=${Buffer.from(JSON.stringify({ d: 'p', b: 'not-a-date', t: 'x' })).toString('base64url')}`,
      `${AISP}/accounts/${alice[0]}/transactions?page=${Buffer.from(JSON.stringify({ d: 'back' })).toString('base64url')}`,
    ];
    for (const path of forgeries) {
      const result = await h.tpp('GET', path, { token });
      expect(result.status).toBe(400);
      expectObSchema('OBErrorResponse1', result.body);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'The page cursor is not valid', Path: 'page' }]);
    }
  });
});
