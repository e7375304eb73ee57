import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';

describe('admin API: the built-in ledger\'s back office (an account closed or re-identified, its TPPs told)', () => {
  let h: ApiHarness;
  let consentId: string;
  let accountId: string;
  let otherAccountId: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    h = await ApiHarness.start('ledger_admin');
    const accounts: Array<{ account_id: string }> = await h.dataSource.query(
      `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id WHERE p.username = 'alice' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY a.account_id`,
    );
    [accountId, otherAccountId] = [accounts[0]!.account_id, accounts[1]!.account_id];
    consentId = await h.authorisedConsent(['ReadAccountsDetail'], 'alice', [accountId]);
    auth = { authorization: `Bearer ${await h.adminSession()}` };
  });
  afterAll(async () => h?.stop());

  async function linkedAccountEntries(): Promise<JsonBody[]> {
    const rows: Array<{ event: JsonBody }> = await h.dataSource.query(
      `SELECT event FROM audit_outbox WHERE event->>'type' = 'consent.linked-account-changed' ORDER BY created_seq`,
    );
    return rows.map((row) => row.event);
  }

  it('refuses both routes without an admin session, and with a PSU session', async () => {
    for (const path of [`/admin/ledger/accounts/${accountId}/close`, `/admin/ledger/accounts/${accountId}/identification`]) {
      const anonymous = await h.call('POST', path, { body: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400400000001' } });
      expect(anonymous.status).toBe(401);
      const psu = await h.call('POST', path, { headers: { authorization: `Bearer ${await h.customerSession('alice')}` }, body: {} });
      expect(psu.status).toBe(401);
    }
    const [row] = await h.dataSource.query(`SELECT status FROM account WHERE account_id = $1`, [accountId]);
    expect(row.status).toBe('Enabled');
  });

  it('re-identifies an account, records one entry per authorised consent holding it (without the new number), and the TPP reads the new identification', async () => {
    const changed = await h.call('POST', `/admin/ledger/accounts/${accountId}/identification`, {
      headers: auth,
      body: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400499999999' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ accountId, change: 'identification-changed', consentsNotified: [consentId] });
    const [entry] = await linkedAccountEntries();
    expect(entry).toMatchObject({ consentId, clientId: h.clientId, actor: { type: 'admin' }, data: { accountId, change: 'identification-changed' } });
    expect(JSON.stringify(entry)).not.toContain('40400499999999');
    const read = await h.tpp('GET', `${AISP}/accounts/${accountId}`, { token: await h.consentToken(consentId) });
    expect(read.status).toBe(200);
    expect(read.body.Data.Account[0].Account[0]).toMatchObject({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400499999999' });
  });

  it('tells no consent of an account none holds, and refuses a change that changes nothing, or an unknown account, with 404', async () => {
    const other = await h.call('POST', `/admin/ledger/accounts/${otherAccountId}/close`, { headers: auth });
    expect(other.status).toBe(200);
    expect(other.body).toEqual({ accountId: otherAccountId, change: 'closed', consentsNotified: [] });
    const again = await h.call('POST', `/admin/ledger/accounts/${otherAccountId}/close`, { headers: auth });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: 'not_found', message: 'No such open account, or nothing to change' });
    const same = await h.call('POST', `/admin/ledger/accounts/${accountId}/identification`, {
      headers: auth,
      body: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400499999999' },
    });
    expect(same.status).toBe(404);
    expect((await h.call('POST', '/admin/ledger/accounts/no-such-account/close', { headers: auth })).status).toBe(404);
    expect(await linkedAccountEntries()).toHaveLength(1);
    // The admin's acts are on record whether or not a consent held the account; the refused ones write nothing.
    const acts = (await h.dataSource.query(
      `SELECT event->'actor'->>'type' AS actor, event->'data' AS data FROM audit_outbox WHERE event->>'type' = 'ledger.account-changed' ORDER BY created_seq`,
    )) as Array<{ actor: string; data: JsonBody }>;
    expect(acts).toEqual([
      { actor: 'admin', data: { accountId, change: 'identification-changed', consentsNotified: 1 } },
      { actor: 'admin', data: { accountId: otherAccountId, change: 'closed', consentsNotified: 0 } },
    ]);
    expect(JSON.stringify(acts)).not.toContain('40400499999999');
  });

  it("refuses an identification another open account holds with 409, so a payment to that number never reaches the wrong customer", async () => {
    const [holder, a, b] = (await h.dataSource.query(
      `SELECT account_id, scheme_name, identification FROM account WHERE status <> 'Deleted' AND account_id NOT IN ($1, $2) AND scheme_name = 'UK.OBIE.SortCodeAccountNumber' ORDER BY account_id LIMIT 3`,
      [accountId, otherAccountId],
    )) as Array<{ account_id: string; scheme_name: string; identification: string }>;
    const taken = await h.call('POST', `/admin/ledger/accounts/${a!.account_id}/identification`, {
      headers: auth,
      body: { SchemeName: holder!.scheme_name, Identification: holder!.identification },
    });
    expect(taken.status).toBe(409);
    expect(taken.body).toEqual({ error: 'identification_taken', message: 'Another open account holds that identification' });
    const [{ holders }] = (await h.dataSource.query(`SELECT count(*)::int AS holders FROM account WHERE scheme_name = $1 AND identification = $2 AND status <> 'Deleted'`, [
      holder!.scheme_name,
      holder!.identification,
    ])) as Array<{ holders: number }>;
    expect(holders).toBe(1);
    // Two re-identifications to one free number at once: one is made, the other refused.
    const free = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400488888888' };
    const both = await Promise.all([a!, b!].map((account) => h.call('POST', `/admin/ledger/accounts/${account.account_id}/identification`, { headers: auth, body: free })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('validates the new identification against a whitelist: no card PAN, no other characters, no other fields', async () => {
    for (const body of [
      { SchemeName: 'UK.OBIE.PAN', Identification: '4000000000000002' },
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40 40 04 1234' },
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: 'X'.repeat(35) },
      // Its scheme's form, as a TPP must name it (taken until 7 December 2026): 13 digits, an IBAN's wrong check digits.
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '4040041111111' },
      { SchemeName: 'UK.OBIE.IBAN', Identification: 'GB00NWBK60161331926819' },
      { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411111111', Name: 'Mallory' },
      {},
    ]) {
      const refused = await h.call('POST', `/admin/ledger/accounts/${accountId}/identification`, { headers: auth, body });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toBe('invalid_request');
    }
    const [row] = await h.dataSource.query(`SELECT identification FROM account WHERE account_id = $1`, [accountId]);
    expect(row.identification).toBe('40400499999999');
  });

  it('closes an account held by an authorised consent, and tells that consent', async () => {
    const closed = await h.call('POST', `/admin/ledger/accounts/${accountId}/close`, { headers: auth });
    expect(closed.status).toBe(200);
    expect(closed.body).toEqual({ accountId, change: 'closed', consentsNotified: [consentId] });
    expect((await linkedAccountEntries()).map((entry) => (entry.data as JsonBody).change)).toEqual(['identification-changed', 'closed']);
    const [row] = await h.dataSource.query(`SELECT status FROM account WHERE account_id = $1`, [accountId]);
    expect(row.status).toBe('Deleted');
  });
});
