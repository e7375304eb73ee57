import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, jsonString } from '../support/api-harness.js';
import { PaymentFixtures } from '../support/payment-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const CBPII = '/open-banking/v4.0/cbpii';
const AN_HOUR_AGO = "now() - interval '1 hour'";

/**
 * No worker runs in this suite, so no sweep ends a consent: every status below is the one the rules give
 * at the instant of the read, which the refusals already follow (isConsentLive, awaitedTooLong). The ends
 * are moved into the past in the database, as the clock would move them.
 */
describe('consent statuses as the rules hold them, before the expiry sweep writes them', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;

  beforeAll(async () => {
    h = await ApiHarness.start('consent_status_before_sweep');
    fixtures = await PaymentFixtures.of(h);
  });
  afterAll(async () => h?.stop());

  const endedAt = async (table: string, consentId: string): Promise<string> => {
    const [row] = (await h.dataSource.query(`UPDATE ${table} SET expiration_date_time = ${AN_HOUR_AGO} WHERE consent_id = $1 RETURNING expiration_date_time`, [consentId])) as [
      Array<{ expiration_date_time: Date }>,
      number,
    ];
    return row[0]!.expiration_date_time.toISOString();
  };

  it('shows an authorised account-access consent past its ExpirationDateTime as EXPD from that instant, to the TPP and to the PSU', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic'], 'alice', undefined, { ExpirationDateTime: new Date(Date.now() + 86_400_000).toISOString() });
    const ended = await endedAt('account_access_consent', consentId);
    const token = await h.consentToken(consentId);
    expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(403);

    const read = await h.tpp('GET', `${AISP}/account-access-consents/${consentId}`, { token: await h.clientCredentialsToken() });
    expect(read.status).toBe(200);
    expect({ status: read.body.Data.Status, at: new Date(jsonString(read.body.Data.StatusUpdateDateTime)).toISOString() }).toEqual({ status: 'EXPD', at: ended });
    // Still AUTH in the table: the sweep has not run.
    expect(await h.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId])).toEqual([{ status: 'AUTH' }]);

    const listed = await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${await h.customerSession('alice')}` } });
    const shown = listed.body.consents.find((c) => String(c.consentId) === consentId);
    expect(shown).toMatchObject({ status: 'EXPD', statusUpdateDateTime: ended });
  });

  it('ends an account-access or funds-confirmation consent whose ExpirationDateTime has digits past the millisecond at the next millisecond, not before', async () => {
    const written = '2049-06-02T05:00:00.0005Z';
    const ais = await h.tpp('POST', `${AISP}/account-access-consents`, {
      token: await h.clientCredentialsToken(),
      body: { Data: { Permissions: ['ReadAccountsBasic'], ExpirationDateTime: written }, Risk: {} },
    });
    const [debtor] = await fixtures.accountsOf('alice', 1);
    const cof = await h.tpp('POST', `${CBPII}/funds-confirmation-consents`, {
      token: await h.clientCredentialsToken({ scope: 'fundsconfirmations' }),
      body: { Data: { ExpirationDateTime: written, DebtorAccount: { SchemeName: debtor!.account.SchemeName, Identification: debtor!.account.Identification, Name: debtor!.account.Name } } },
    });
    for (const [table, created] of [['account_access_consent', ais], ['payment_consent', cof]] as const) {
      expect(created.status, table).toBe(201);
      const [row] = (await h.dataSource.query(`SELECT expiration_date_time FROM ${table} WHERE consent_id = $1`, [jsonString(created.body.Data.ConsentId)])) as Array<{ expiration_date_time: Date }>;
      // Live at …00.000 (before the written instant), ended at …00.001.
      expect(row!.expiration_date_time.toISOString(), table).toBe('2049-06-02T05:00:00.001Z');
    }
  });

  it('shows an account-access consent awaiting authorisation past CONSENT_AWAITING_MAX_AGE_SECONDS as EXPD', async () => {
    const token = await h.clientCredentialsToken();
    const created = await h.tpp('POST', `${AISP}/account-access-consents`, { token, body: { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} } });
    const consentId = jsonString(created.body.Data.ConsentId);
    expect(created.body.Data.Status).toBe('AWAU');
    await h.dataSource.query(`UPDATE account_access_consent SET creation_date_time = now() - interval '1 day' WHERE consent_id = $1`, [consentId]);
    expect((await h.tpp('GET', `${AISP}/account-access-consents/${consentId}`, { token })).body.Data.Status).toBe('EXPD');
  });

  it('shows a VRP and a funds-confirmation consent past their end as EXPD, to the TPP and to the PSU, and a stale domestic one as RJCT', async () => {
    const [debtor] = await fixtures.accountsOf('alice', 1);
    const [payee] = await fixtures.accountsOf('bob', 1, 'Bob');
    const vrp = await fixtures.vrpConsent('alice', debtor!, payee!.account);
    const funds = await fixtures.fundsConfirmationConsent('alice', debtor!);
    const vrpEnded = await endedAt('payment_consent', vrp.consentId);
    const fundsEnded = await endedAt('payment_consent', funds.consentId);

    const payments = await h.clientCredentialsToken({ scope: 'payments' });
    const vrpRead = await h.tpp('GET', `${PISP}/domestic-vrp-consents/${vrp.consentId}`, { token: payments });
    expect({ status: vrpRead.body.Data.Status, at: new Date(jsonString(vrpRead.body.Data.StatusUpdateDateTime)).toISOString() }).toEqual({ status: 'EXPD', at: vrpEnded });
    const fundsRead = await h.tpp('GET', `${CBPII}/funds-confirmation-consents/${funds.consentId}`, { token: await h.clientCredentialsToken({ scope: 'fundsconfirmations' }) });
    expect({ status: fundsRead.body.Data.Status, at: new Date(jsonString(fundsRead.body.Data.StatusUpdateDateTime)).toISOString() }).toEqual({ status: 'EXPD', at: fundsEnded });

    const listed = await h.call('GET', '/customer/payment-consents', { headers: { authorization: `Bearer ${await h.customerSession('alice')}` } });
    expect(listed.body.consents.find((c) => String(c.consentId) === vrp.consentId)).toMatchObject({ status: 'EXPD', revocable: false });
    expect(listed.body.consents.find((c) => String(c.consentId) === funds.consentId)).toMatchObject({ status: 'EXPD', revocable: false });

    // A domestic payment consent has no EXPD: one nobody authorised in time is RJCT.
    const created = await h.signedPost(`${PISP}/domestic-payment-consents`, {
      token: payments,
      body: { Data: { Initiation: { InstructionIdentification: 'I-STALE', EndToEndIdentification: 'E-STALE', InstructedAmount: { Amount: '5.00', Currency: 'GBP' }, CreditorAccount: payee!.account } }, Risk: {} },
    });
    const stale = jsonString(created.body.Data.ConsentId);
    await h.dataSource.query(`UPDATE payment_consent SET creation_date_time = now() - interval '1 day' WHERE consent_id = $1`, [stale]);
    expect((await h.tpp('GET', `${PISP}/domestic-payment-consents/${stale}`, { token: payments })).body.Data.Status).toBe('RJCT');
  });
});
