import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

/** One AIS list the connectors page in SQL, read four records a page. */
interface SqlListCase {
  name: string;
  path: (first: string) => string;
  schema: string;
  dataKey: string;
  /** The record's key on the wire, as the list orders it: its account, then its own id. */
  keyOf: (record: JsonBody) => string;
  /** The same keys from the ledger, in (account, id) code-unit order: what paging must give, once each. */
  expected: string;
}

const KEYED = (id: string) => `SELECT r.account_id || '/' || r.${id} AS key FROM`;
const ORDER = (id: string) => `ORDER BY r.account_id COLLATE "C", r.${id} COLLATE "C"`;

const CASES: SqlListCase[] = [
  {
    name: 'bulk accounts',
    path: () => `${AISP}/accounts`,
    schema: 'OBReadAccount6',
    dataKey: 'Account',
    keyOf: (r) => `${jsonString(r.AccountId)}/${jsonString(r.AccountId)}`,
    expected: `${KEYED('account_id')} account r WHERE r.account_id = ANY($1::text[]) ${ORDER('account_id')}`,
  },
  {
    name: 'one account’s balances',
    path: (first) => `${AISP}/accounts/${first}/balances`,
    schema: 'OBReadBalance1',
    dataKey: 'Balance',
    keyOf: (r) => `${jsonString(r.AccountId)}/${jsonString(r.Type)}`,
    expected: `${KEYED('type_code')} balance r WHERE r.account_id = ($1::text[])[1] ${ORDER('type_code')}`,
  },
  {
    name: 'bulk balances',
    path: () => `${AISP}/balances`,
    schema: 'OBReadBalance1',
    dataKey: 'Balance',
    keyOf: (r) => `${jsonString(r.AccountId)}/${jsonString(r.Type)}`,
    expected: `${KEYED('type_code')} balance r WHERE r.account_id = ANY($1::text[]) ${ORDER('type_code')}`,
  },
  {
    name: 'one account’s statements',
    path: (first) => `${AISP}/accounts/${first}/statements`,
    schema: 'OBReadStatement2',
    dataKey: 'Statement',
    keyOf: (r) => `${jsonString(r.AccountId)}/${jsonString(r.StatementId)}`,
    expected: `${KEYED('statement_id')} statement r WHERE r.account_id = ($1::text[])[1] ${ORDER('statement_id')}`,
  },
  {
    name: 'bulk statements',
    path: () => `${AISP}/statements`,
    schema: 'OBReadStatement2',
    dataKey: 'Statement',
    keyOf: (r) => `${jsonString(r.AccountId)}/${jsonString(r.StatementId)}`,
    expected: `${KEYED('statement_id')} statement r WHERE r.account_id = ANY($1::text[]) ${ORDER('statement_id')}`,
  },
  {
    name: 'one account’s parties',
    path: (first) => `${AISP}/accounts/${first}/parties`,
    schema: 'OBReadParty3',
    dataKey: 'Party',
    keyOf: (r) => `${jsonString(r.Relationships.Account.Id)}/${jsonString(r.PartyId)}`,
    expected: `${KEYED('party_id')} account_party r WHERE r.account_id = ($1::text[])[1] ${ORDER('party_id')}`,
  },
];

const PERMISSIONS = ['ReadAccountsDetail', 'ReadBalances', 'ReadStatementsDetail', 'ReadParty'] as const;
const OTHER_BALANCE_TYPES = ['ClosingAvailable', 'ClosingBooked', 'ForwardAvailable', 'Information', 'OpeningAvailable', 'OpeningBooked', 'PreviouslyClosedBooked', 'Expected'];

describe('accounts, balances, statements and parties page in SQL', () => {
  let h: ApiHarness;
  let accounts: string[];
  let token: string;

  beforeAll(async () => {
    h = await ApiHarness.start('keyset-paging-in-sql', { API_PAGE_SIZE: '4' });
    const alice = h.psuAccounts('alice');
    const first = alice[0]!;
    // Enough of each list for three pages and more: seven more accounts, every other balance type, eight
    // more statements and nine more holders of the first account (none of them its owner).
    const added: Array<{ account_id: string }> = await h.dataSource.query(
      `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
       SELECT gen_random_uuid()::text, aspsp_id, psu_id, currency, account_category, account_type_code, 'UK.OBIE.SortCodeAccountNumber',
              '40400' || lpad(g::text, 9, '0'), holder_name
         FROM account, generate_series(1, 7) g WHERE account_id = $1
       RETURNING account_id`,
      [first],
    );
    accounts = [...alice, ...added.map((a) => a.account_id)];
    await h.dataSource.query(
      `INSERT INTO balance (account_id, type, amount, currency, credit_debit_indicator, date_time)
       SELECT $1, t, 10, 'GBP', 'Credit', now() FROM unnest($2::text[]) t`,
      [first, OTHER_BALANCE_TYPES],
    );
    await h.dataSource.query(
      `INSERT INTO statement (statement_id, account_id, statement_reference, type, start_date_time, end_date_time, creation_date_time,
                              opening_balance, closing_balance, total_credits, total_debits, currency)
       SELECT gen_random_uuid()::text, account_id, statement_reference, type, start_date_time, end_date_time, creation_date_time,
              opening_balance, closing_balance, total_credits, total_debits, currency
         FROM (SELECT * FROM statement WHERE account_id = $1 LIMIT 1) s, generate_series(1, 8) g`,
      [first],
    );
    await h.dataSource.query(
      `WITH p AS (INSERT INTO party (party_id, party_type, name) SELECT gen_random_uuid()::text, 'Joint', 'Holder ' || g FROM generate_series(1, 9) g RETURNING party_id)
       INSERT INTO account_party (account_id, party_id, account_role) SELECT $1, party_id, 'UK.OBIE.SecondaryOwner' FROM p`,
      [first],
    );
    token = await h.consentToken(await h.authorisedConsent([...PERMISSIONS], 'alice', accounts));
  });
  afterAll(async () => h?.stop());

  const local = (link: JsonBody) => {
    const url = jsonString(link);
    expect(url.startsWith(h.api.publicUrl)).toBe(true);
    return url.slice(h.api.publicUrl.length);
  };

  async function page(path: string, c: SqlListCase): Promise<{ keys: string[]; links: JsonBody; meta: JsonBody }> {
    const result = await h.tpp('GET', path, { token });
    expect(result.status).toBe(200);
    expectObSchema(c.schema, result.body);
    expect(result.body.Links.Self).toBe(`${h.api.publicUrl}${path}`);
    return { keys: result.body.Data[c.dataKey].map((r: JsonBody) => c.keyOf(r)), links: result.body.Links, meta: result.body.Meta };
  }

  async function follow(start: string, rel: 'Next' | 'Prev', c: SqlListCase, limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let path: string | null = start;
    while (path) {
      const read = await page(path, c);
      pages.push(read.keys);
      path = read.links[rel] ? local(read.links[rel]) : null;
      if (pages.length > limit) throw new Error('paging does not end');
    }
    return pages;
  }

  for (const c of CASES) {
    it(`pages ${c.name} forwards, backwards and from Links.Last: every record once, in key order`, async () => {
      const rows: Array<{ key: string }> = await h.dataSource.query(c.expected, [accounts]);
      const expected = rows.map((row) => row.key);
      const pages = Math.ceil(expected.length / 4);
      expect(pages).toBeGreaterThanOrEqual(3);

      const first = await page(c.path(accounts[0]!), c);
      expect(first.meta.TotalPages).toBe(pages);
      expect(first.links.Prev).toBeUndefined();
      expect(first.links.First).toBe(`${h.api.publicUrl}${c.path(accounts[0]!)}`);

      const forward = await follow(c.path(accounts[0]!), 'Next', c, pages + 2);
      expect(forward).toHaveLength(pages);
      expect(forward.slice(0, -1).every((keys) => keys.length === 4)).toBe(true);
      // No record repeated or skipped, and the order is the keyset's.
      expect(forward.flat()).toEqual(expected);

      const last = await page(local(first.links.Last), c);
      expect(last.keys).toEqual(forward.at(-1));
      expect(last.links.Next).toBeUndefined();
      const backward = await follow(local(first.links.Last), 'Prev', c, pages + 2);
      expect(backward.reverse()).toEqual(forward);
    }, 60_000);

    it(`refuses a tampered or foreign cursor on ${c.name} with 400 U002`, async () => {
      const cursors = [
        'not-a-cursor',
        Buffer.from(JSON.stringify(['<', accounts[0], 'id', 'extra'])).toString('base64url'),
        // A transactions cursor: another list's, of another shape.
        Buffer.from(JSON.stringify({ d: 'n', b: new Date().toISOString(), t: 'x' })).toString('base64url'),
      ];
      for (const cursor of cursors) {
        const result = await h.tpp('GET', `${c.path(accounts[0]!)}?page=${cursor}`, { token });
        expect(result.status).toBe(400);
        expectObSchema('OBErrorResponse1', result.body);
        expect(result.body.Errors).toEqual([{ ErrorCode: 'U002', Message: 'The page cursor is not valid', Path: 'page' }]);
      }
    });
  }

  it('reads only the consent’s accounts, whatever key a cursor starts after', async () => {
    const bob = h.psuAccounts('bob');
    // A cursor placed before everything (and one naming bob's account) still pages alice's consented records only.
    for (const key of [['', ''], [bob[0]!, '']]) {
      const cursor = Buffer.from(JSON.stringify(key)).toString('base64url');
      const result = await h.tpp('GET', `${AISP}/balances?page=${cursor}`, { token });
      expect(result.status).toBe(200);
      const seen = result.body.Data.Balance.map((b: JsonBody) => jsonString(b.AccountId));
      expect(seen.every((id: string) => accounts.includes(id))).toBe(true);
      // The page starts at the first consented account with balances after the key (ids are random: bob's
      // may sort after all of alice's, and then the page is empty).
      const [first]: Array<{ account_id: string }> = await h.dataSource.query(
        `SELECT account_id FROM balance WHERE account_id = ANY($1) AND account_id COLLATE "C" > $2 ORDER BY account_id COLLATE "C" LIMIT 1`,
        [accounts, key[0]],
      );
      expect(seen[0]).toBe(first?.account_id);
    }
  });

  it('still names the Principal as the owner of an account with many holders', async () => {
    const result = await h.tpp('GET', `${AISP}/accounts/${accounts[0]}/party`, { token });
    expect(result.status).toBe(200);
    expectObSchema('OBReadParty2', result.body);
    expect(result.body.Data.Party).toMatchObject({ Name: 'Alice Walker', AccountRole: 'UK.OBIE.Principal' });
  });
});
