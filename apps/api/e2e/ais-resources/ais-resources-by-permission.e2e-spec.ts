import { Permission } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

interface ResourceCase {
  name: string;
  /** Path under /accounts/{AccountId}/ and the bulk path. */
  accountPath: string;
  bulkPath: string;
  schema: string;
  dataKey: string;
  basic: Permission[];
  detail?: Permission[];
  /** Fields only Detail shows. */
  detailOnly: string[];
  /** Records alice's first (current) account has. */
  perAccount: number;
}

const CASES: ResourceCase[] = [
  {
    name: 'beneficiaries',
    accountPath: 'beneficiaries',
    bulkPath: 'beneficiaries',
    schema: 'OBReadBeneficiary5',
    dataKey: 'Beneficiary',
    basic: ['ReadBeneficiariesBasic'],
    detail: ['ReadBeneficiariesDetail'],
    detailOnly: ['CreditorAccount', 'CreditorAgent'],
    perAccount: 2,
  },
  {
    name: 'direct debits',
    accountPath: 'direct-debits',
    bulkPath: 'direct-debits',
    schema: 'OBReadDirectDebit2',
    dataKey: 'DirectDebit',
    basic: ['ReadDirectDebits'],
    detailOnly: [],
    perAccount: 2,
  },
  {
    name: 'standing orders',
    accountPath: 'standing-orders',
    bulkPath: 'standing-orders',
    schema: 'OBReadStandingOrder6',
    dataKey: 'StandingOrder',
    basic: ['ReadStandingOrdersBasic'],
    detail: ['ReadStandingOrdersDetail'],
    detailOnly: ['CreditorAccount'],
    perAccount: 1,
  },
  {
    name: 'scheduled payments',
    accountPath: 'scheduled-payments',
    bulkPath: 'scheduled-payments',
    schema: 'OBReadScheduledPayment3',
    dataKey: 'ScheduledPayment',
    basic: ['ReadScheduledPaymentsBasic'],
    detail: ['ReadScheduledPaymentsDetail'],
    detailOnly: ['CreditorAccount'],
    perAccount: 1,
  },
  {
    name: 'statements',
    accountPath: 'statements',
    bulkPath: 'statements',
    schema: 'OBReadStatement2',
    dataKey: 'Statement',
    basic: ['ReadStatementsBasic'],
    detail: ['ReadStatementsDetail'],
    detailOnly: ['StatementAmount'],
    perAccount: 2,
  },
  { name: 'products', accountPath: 'product', bulkPath: 'products', schema: 'OBReadProduct2', dataKey: 'Product', basic: ['ReadProducts'], detailOnly: [], perAccount: 1 },
  { name: 'offers', accountPath: 'offers', bulkPath: 'offers', schema: 'OBReadOffer1', dataKey: 'Offer', basic: ['ReadOffers'], detailOnly: [], perAccount: 1 },
];

describe('AIS resources under each permission set', () => {
  let h: ApiHarness;
  let alice: string[];

  beforeAll(async () => {
    h = await ApiHarness.start('ais-resources', { API_PAGE_SIZE: '4' });
    alice = h.psuAccounts('alice');
  });
  afterAll(async () => h?.stop());

  async function read(consentId: string, path: string): Promise<{ status: number; body: JsonBody; headers: Headers }> {
    return h.tpp('GET', path, { token: await h.consentToken(consentId) });
  }

  /** Follows Links.Next to the end, validating every page. */
  async function readAll(consentId: string, path: string, schema: string, dataKey: string): Promise<JsonBody[]> {
    const token = await h.consentToken(consentId);
    const records: JsonBody[] = [];
    let next: string | null = path;
    let pages = 0;
    while (next) {
      const result = await h.tpp('GET', next, { token });
      expect(result.status).toBe(200);
      expectObSchema(schema, result.body);
      records.push(...result.body.Data[dataKey]);
      expect(result.body.Meta.TotalPages).toBeGreaterThanOrEqual(1);
      next = result.body.Links.Next ? jsonString(result.body.Links.Next).slice(h.api.publicUrl.length) : null;
      pages++;
      if (pages > 50) throw new Error('paging does not end');
    }
    return records;
  }

  for (const c of CASES) {
    it(`serves ${c.name} of one account and in bulk under ${c.basic.join('+')}, shaped as ${c.schema}`, async () => {
      const consentId = await h.authorisedConsent(c.basic);
      const one = await read(consentId, `${AISP}/accounts/${alice[0]}/${c.accountPath}`);
      expect(one.status).toBe(200);
      expectObSchema(c.schema, one.body);
      expect(one.body.Data[c.dataKey]).toHaveLength(c.perAccount);
      expect(one.body.Links.Self).toBe(`${h.api.publicUrl}${AISP}/accounts/${alice[0]}/${c.accountPath}`);
      for (const record of one.body.Data[c.dataKey]) {
        expect(record.AccountId).toBe(alice[0]);
        for (const field of c.detailOnly) expect(record[field]).toBeUndefined();
      }
      const bulk = await readAll(consentId, `${AISP}/${c.bulkPath}`, c.schema, c.dataKey);
      // Alice holds no card account, so each of her three accounts has every kind of record.
      expect(bulk).toHaveLength(3 * c.perAccount);
      expect(new Set(bulk.map((r: JsonBody) => r.AccountId))).toEqual(new Set(alice));
    });

    if (c.detail) {
      it(`shows the Detail-only fields of ${c.name} under ${c.detail.join('+')}`, async () => {
        const consentId = await h.authorisedConsent(c.detail!);
        const one = await read(consentId, `${AISP}/accounts/${alice[0]}/${c.accountPath}`);
        expect(one.status).toBe(200);
        expectObSchema(c.schema, one.body);
        for (const field of c.detailOnly) expect(one.body.Data[c.dataKey].some((r: JsonBody) => r[field] !== undefined)).toBe(true);
      });
    }

    it(`refuses ${c.name} without their permission (403 U042, no data)`, async () => {
      const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
      const result = await read(consentId, `${AISP}/${c.bulkPath}`);
      expect(result.status).toBe(403);
      expectObSchema('OBErrorResponse1', result.body);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U042', Message: `The consent does not grant ${[...c.basic, ...(c.detail ?? [])].join(' or ')}` }]);
    });
  }

  it('masks a creditor card number without ReadPAN and shows it with ReadPAN', async () => {
    const masked = await h.authorisedConsent(['ReadBeneficiariesDetail']);
    const full = await h.authorisedConsent(['ReadBeneficiariesDetail', 'ReadPAN']);
    const card = async (consentId: string) => {
      const result = await read(consentId, `${AISP}/accounts/${alice[0]}/beneficiaries`);
      expectObSchema('OBReadBeneficiary5', result.body);
      return jsonString(result.body.Data.Beneficiary.find((b: JsonBody) => String(b.CreditorAccount.SchemeName) === 'UK.OBIE.PAN')?.CreditorAccount.Identification);
    };
    expect(await card(masked)).toMatch(/^545454\*{6}\d{4}$/);
    expect(await card(full)).toMatch(/^545454\d{10}$/);
  });

  it('serves one statement and the transactions booked within its period', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsDetail', 'ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits']);
    const list = await read(consentId, `${AISP}/accounts/${alice[0]}/statements`);
    const [statement] = list.body.Data.Statement;
    const one = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${statement.StatementId}`);
    expect(one.status).toBe(200);
    expectObSchema('OBReadStatement2', one.body);
    expect(one.body.Data.Statement).toEqual([statement]);
    const transactions = await readAll(consentId, `${AISP}/accounts/${alice[0]}/statements/${statement.StatementId}/transactions`, 'OBReadTransaction6', 'Transaction');
    expect(transactions.length).toBe(15);
    for (const t of transactions) {
      expect(Date.parse(jsonString(t.BookingDateTime))).toBeGreaterThanOrEqual(Date.parse(jsonString(statement.StartDateTime)));
      expect(Date.parse(jsonString(t.BookingDateTime))).toBeLessThanOrEqual(Date.parse(jsonString(statement.EndDateTime)));
    }
  });

  it('refuses statement transactions without a transaction permission, and an unknown statement with 404 U011', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsBasic']);
    const list = await read(consentId, `${AISP}/accounts/${alice[0]}/statements`);
    const refused = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${list.body.Data.Statement[0].StatementId}/transactions`);
    expect(refused.status).toBe(403);
    expect(refused.body.Errors[0].Message).toBe('The consent does not grant ReadTransactionsBasic or ReadTransactionsDetail');
    const otherAccountsStatement = (await read(consentId, `${AISP}/accounts/${alice[1]}/statements`)).body.Data.Statement[0].StatementId;
    for (const id of ['no-such-statement', otherAccountsStatement]) {
      const missing = await read(consentId, `${AISP}/accounts/${alice[0]}/statements/${id}`);
      expect(missing.status).toBe(404);
      expectObSchema('OBErrorResponse1', missing.body);
      expect(missing.body.Errors).toEqual([{ ErrorCode: 'U011', Message: 'No such statement for this account', Path: 'StatementId' }]);
    }
  });

  it('filters statements by fromStatementDateTime and toStatementDateTime', async () => {
    const consentId = await h.authorisedConsent(['ReadStatementsBasic']);
    const all = (await read(consentId, `${AISP}/accounts/${alice[0]}/statements`)).body.Data.Statement;
    const later = all.reduce((a, b) => (Date.parse(jsonString(a.StartDateTime)) > Date.parse(jsonString(b.StartDateTime)) ? a : b));
    const from = new Date(Date.parse(jsonString(later.StartDateTime)) + 1000).toISOString();
    const result = await read(consentId, `${AISP}/accounts/${alice[0]}/statements?fromStatementDateTime=${from}`);
    expect(result.status).toBe(200);
    expectObSchema('OBReadStatement2', result.body);
    expect(result.body.Data.Statement.map((s: JsonBody) => s.StatementId)).toEqual([later.StatementId]);
  });

  it('serves the account’s parties and owner under ReadParty, and the PSU under ReadPartyPSU', async () => {
    const party = await h.authorisedConsent(['ReadParty']);
    const parties = await read(party, `${AISP}/accounts/${alice[0]}/parties`);
    expect(parties.status).toBe(200);
    expectObSchema('OBReadParty3', parties.body);
    expect(parties.body.Data.Party).toHaveLength(1);
    expect(parties.body.Data.Party[0]).toMatchObject({ Name: 'Alice Walker', AccountRole: 'UK.OBIE.Principal', Relationships: { Account: { Id: alice[0] } } });
    const owner = await read(party, `${AISP}/accounts/${alice[0]}/party`);
    expect(owner.status).toBe(200);
    expectObSchema('OBReadParty2', owner.body);
    expect(owner.body.Data.Party.PartyId).toBe(parties.body.Data.Party[0].PartyId);
    const notPsu = await read(party, `${AISP}/party`);
    expect(notPsu.status).toBe(403);
    expect(notPsu.body.Errors[0].Message).toBe('The consent does not grant ReadPartyPSU');

    const psu = await h.authorisedConsent(['ReadPartyPSU'], 'bob');
    const me = await read(psu, `${AISP}/party`);
    expect(me.status).toBe(200);
    expectObSchema('OBReadParty2', me.body);
    expect(me.body.Data.Party).toMatchObject({ Name: 'Bob Okafor', PartyType: 'Sole', EmailAddress: 'bob@sandbox.consentry.localhost' });
    expect(me.body.Data.Party.AccountRole).toBeUndefined();
  });

  it('pages bulk transactions account by account with Links.First/Next and the summed Meta.TotalPages', async () => {
    const consentId = await h.authorisedConsent(['ReadTransactionsBasic', 'ReadTransactionsCredits', 'ReadTransactionsDebits']);
    const first = await read(consentId, `${AISP}/transactions`);
    expect(first.status).toBe(200);
    expectObSchema('OBReadTransaction6', first.body);
    // 30 transactions per account in pages of 4: 8 pages each, 3 accounts.
    expect(first.body.Meta.TotalPages).toBe(24);
    expect(first.body.Links.First).toBe(`${h.api.publicUrl}${AISP}/transactions`);
    const all = await readAll(consentId, `${AISP}/transactions`, 'OBReadTransaction6', 'Transaction');
    expect(all).toHaveLength(90);
    expect(new Set(all.map((t: JsonBody) => t.TransactionId)).size).toBe(90);
    expect(new Set(all.map((t: JsonBody) => t.AccountId))).toEqual(new Set(alice));
  }, 30_000);

  it('keeps keyset pages stable when records are inserted between page reads', async () => {
    const consentId = await h.authorisedConsent(['ReadBeneficiariesBasic', 'ReadTransactionsBasic', 'ReadTransactionsDebits', 'ReadTransactionsCredits']);
    const token = await h.consentToken(consentId);
    const first = await h.tpp('GET', `${AISP}/beneficiaries`, { token });
    expect(first.body.Meta.TotalPages).toBe(2);
    const seen = first.body.Data.Beneficiary.map((b: JsonBody) => jsonString(b.BeneficiaryId));
    // A new payee that sorts before everything already read must not push a record into page 2 twice.
    await h.dataSource.query(
      `INSERT INTO beneficiary (beneficiary_id, account_id, creditor_scheme_name, creditor_identification) VALUES ('00000000-early', $1, 'UK.OBIE.SortCodeAccountNumber', '40400400000001')`,
      [[...alice].sort()[0]],
    );
    const second = await h.tpp('GET', jsonString(first.body.Links.Next).slice(h.api.publicUrl.length), { token });
    expectObSchema('OBReadBeneficiary5', second.body);
    const rest = second.body.Data.Beneficiary.map((b: JsonBody) => jsonString(b.BeneficiaryId));
    expect(rest.filter((id: string) => seen.includes(id))).toEqual([]);
    expect(seen.length + rest.length).toBe(6);

    const page1 = await h.tpp('GET', `${AISP}/accounts/${alice[0]}/transactions`, { token });
    const before = page1.body.Data.Transaction.map((t: JsonBody) => jsonString(t.TransactionId));
    await h.dataSource.query(
      `INSERT INTO transaction (transaction_id, account_id, amount, currency, credit_debit_indicator, status, booking_date_time)
       VALUES ('inserted-early', $1, 1, 'GBP', 'Debit', 'BOOK', now() - interval '400 days')`,
      [alice[0]],
    );
    const page2 = await h.tpp('GET', jsonString(page1.body.Links.Next).slice(h.api.publicUrl.length), { token });
    expectObSchema('OBReadTransaction6', page2.body);
    const after = page2.body.Data.Transaction.map((t: JsonBody) => jsonString(t.TransactionId));
    expect(after.filter((id: string) => before.includes(id) || id === 'inserted-early')).toEqual([]);
    expect(after).toHaveLength(4);
  });

  it('records each read in the data-access audit with its resource', async () => {
    const consentId = await h.authorisedConsent(['ReadOffers']);
    const interactionId = '5d7c1f0e-9b0a-4c2e-8f7d-6a5b4c3d2e1f';
    await h.tpp('GET', `${AISP}/offers`, { token: await h.consentToken(consentId), headers: { 'x-fapi-interaction-id': interactionId } });
    const rows = await h.dataSource.query(`SELECT event FROM audit_outbox WHERE event->>'interactionId' = $1`, [interactionId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].event.data).toMatchObject({ resource: 'offers', count: 3 });
  });
});
