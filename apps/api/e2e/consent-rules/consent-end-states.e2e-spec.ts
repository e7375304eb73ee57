import { RejectAccountAccessConsent } from '@consentry/consents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const CONSENTS = `${AISP}/account-access-consents`;

describe('consent rules: statuses, windows, ownership and the end of access', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await ApiHarness.start('consent-rules');
    await h.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('rival-tpp', 'Rival', '{AISP}', '{}')`);
  });
  afterAll(async () => h?.stop());

  function expectRefused(result: { status: number; body: JsonBody }, status: number, errors: unknown[]): void {
    expect(result.status).toBe(status);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors).toEqual(errors);
  }

  const NOT_USABLE = [{ ErrorCode: 'U009', Message: 'The consent is not authorised, has expired or was revoked' }];

  it('reads back a rejected consent as RJCT with its StatusReason', async () => {
    const token = await h.clientCredentialsToken();
    const created = await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} } });
    const consentId = jsonString(created.body.Data.ConsentId);
    await new RejectAccountAccessConsent(h.dataSource).execute({ consentId, by: { type: 'psu', psuId: await h.psuId('alice') } });
    const read = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token });
    expect(read.status).toBe(200);
    expectObSchema('OBReadConsentResponse1', read.body);
    expect(read.body.Data.Status).toBe('RJCT');
    expect(read.body.Data.StatusReason).toHaveLength(1);
    expect(read.body.Data.StatusReason[0].StatusReasonDescription).toEqual(expect.any(String));
  });

  it('stops data at once with 403 U009 for a rejected consent', async () => {
    const token = await h.clientCredentialsToken();
    const created = await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadAccountsBasic'] }, Risk: {} } });
    const consentId = jsonString(created.body.Data.ConsentId);
    await new RejectAccountAccessConsent(h.dataSource).execute({ consentId, by: { type: 'psu', psuId: await h.psuId('alice') } });
    expectRefused(await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) }), 403, NOT_USABLE);
  });

  it('stops data at once with 403 U009 once the TPP revokes the consent', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const token = await h.consentToken(consentId);
    expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    expect((await h.tpp('DELETE', `${CONSENTS}/${consentId}`, { token: await h.clientCredentialsToken() })).status).toBe(204);
    expectRefused(await h.tpp('GET', `${AISP}/accounts`, { token }), 403, NOT_USABLE);
  });

  it('stops data at once with 403 U009 when the consent’s ExpirationDateTime passes, before any expiry job runs', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const token = await h.consentToken(consentId);
    expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    await h.dataSource.query(`UPDATE account_access_consent SET expiration_date_time = now() - interval '1 second' WHERE consent_id = $1`, [consentId]);
    expectRefused(await h.tpp('GET', `${AISP}/accounts`, { token }), 403, NOT_USABLE);
  });

  it('refuses data with 403 U028 once the re-authentication period has passed, per jurisdiction', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const token = await h.consentToken(consentId);
    // UK: the TPP reconfirms every 90 days; 100 days after authorisation the data stops.
    await h.dataSource.query(`UPDATE account_access_consent SET jurisdiction = 'UK', authorised_at = now() - interval '100 days' WHERE consent_id = $1`, [consentId]);
    expectRefused(await h.tpp('GET', `${AISP}/accounts`, { token }), 403, [
      { ErrorCode: 'U028', Message: 'The PSU must re-authenticate this consent before its data can be read' },
    ]);
    // EU: 180 days, so the same 100 days are still within the period.
    await h.dataSource.query(`UPDATE account_access_consent SET jurisdiction = 'EU' WHERE consent_id = $1`, [consentId]);
    expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
    // A re-confirmation restarts the period.
    await h.dataSource.query(
      `UPDATE account_access_consent SET jurisdiction = 'UK', reauthenticated_at = now() - interval '1 day' WHERE consent_id = $1`,
      [consentId],
    );
    expect((await h.tpp('GET', `${AISP}/accounts`, { token })).status).toBe(200);
  });

  it('refuses every call of a suspended TPP with 401 U006 at once, and serves it again when reinstated', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    await h.dataSource.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = $1`, [h.clientId]);
    try {
      const data = await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
      const consents = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: await h.clientCredentialsToken() });
      for (const result of [data, consents]) {
        expectRefused(result, 401, [{ ErrorCode: 'U006', Message: 'The client is not an active TPP', Path: 'Authorization' }]);
      }
    } finally {
      await h.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = $1`, [h.clientId]);
    }
    expect((await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) })).status).toBe(200);
  });

  it('lets a TPP neither read, delete nor use another TPP’s consent, with the answers of a missing one', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const rival = await h.issuer.mintAccessToken({ clientId: 'rival-tpp', audience: h.api.publicUrl, jkt: h.dpop.jkt });
    const missing = await h.tpp('GET', `${CONSENTS}/aac-00000000-0000-4000-8000-000000000000`, { token: rival });
    const read = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: rival });
    const deleted = await h.tpp('DELETE', `${CONSENTS}/${consentId}`, { token: rival });
    for (const result of [missing, read, deleted]) expectRefused(result, 404, [{ ErrorCode: 'U011', Message: 'No such consent', Path: 'ConsentId' }]);
    const rivalData = await h.issuer.mintAccessToken({ clientId: 'rival-tpp', audience: h.api.publicUrl, jkt: h.dpop.jkt, consentId });
    expectRefused(await h.tpp('GET', `${AISP}/accounts`, { token: rivalData }), 403, NOT_USABLE);
    // The owner's consent is untouched by the rival's DELETE.
    const own = await h.tpp('GET', `${CONSENTS}/${consentId}`, { token: await h.clientCredentialsToken() });
    expect(own.body.Data.Status).toBe('AUTH');
  });

  it('clips transaction queries to TransactionFromDateTime and TransactionToDateTime', async () => {
    const now = Date.now();
    const from = new Date(now - 4 * 24 * 3600 * 1000).toISOString();
    const to = new Date(now - 2 * 24 * 3600 * 1000).toISOString();
    const consentId = await h.authorisedConsent(['ReadTransactionsBasic', 'ReadTransactionsCredits', 'ReadTransactionsDebits'], 'alice', undefined, {
      TransactionFromDateTime: from,
      TransactionToDateTime: to,
    });
    const [accountId] = h.psuAccounts('alice');
    const token = await h.consentToken(consentId);
    const widened = await h.tpp('GET', `${AISP}/accounts/${accountId}/transactions?fromBookingDateTime=2000-01-01&toBookingDateTime=2100-01-01`, { token });
    expect(widened.status).toBe(200);
    expectObSchema('OBReadTransaction6', widened.body);
    expect(widened.body.Data.Transaction.length).toBeGreaterThan(0);
    for (const t of widened.body.Data.Transaction) {
      expect(Date.parse(jsonString(t.BookingDateTime))).toBeGreaterThanOrEqual(Date.parse(from));
      expect(Date.parse(jsonString(t.BookingDateTime))).toBeLessThanOrEqual(Date.parse(to));
    }
    const [{ n }] = await h.dataSource.query(
      `SELECT count(*)::int AS n FROM transaction WHERE account_id = $1 AND booking_date_time BETWEEN $2 AND $3`,
      [accountId, from, to],
    );
    expect(widened.body.Data.Transaction).toHaveLength(n);
    const outside = await h.tpp('GET', `${AISP}/transactions?fromBookingDateTime=${new Date(now - 3600 * 1000).toISOString().slice(0, 19)}`, { token });
    expect(outside.status).toBe(200);
    expectObSchema('OBReadTransaction6', outside.body);
    expect(outside.body.Data.Transaction).toEqual([]);
    expect(outside.body.Meta.TotalPages).toBe(0);
  });

  it.each([
    ['ReadPAN alone', ['ReadPAN'], 'U001', 'ReadPAN needs at least one Detail permission'],
    ['a direction without a transaction view', ['ReadTransactionsCredits'], 'U001', 'ReadTransactionsCredits or ReadTransactionsDebits needs ReadTransactionsBasic or ReadTransactionsDetail'],
    ['a view without a direction', ['ReadTransactionsDetail'], 'U001', 'ReadTransactionsBasic or ReadTransactionsDetail needs ReadTransactionsCredits and/or ReadTransactionsDebits'],
  ])('refuses %s with 400, the dependency error and Path Data.Permissions', async (_, permissions, errorCode, message) => {
    const result = await h.tpp('POST', CONSENTS, { token: await h.clientCredentialsToken(), body: { Data: { Permissions: permissions }, Risk: {} } });
    expectRefused(result, 400, [{ ErrorCode: errorCode, Message: message, Path: 'Data.Permissions' }]);
  });

  it('refuses a transaction window that ends before it starts with 400 U003', async () => {
    const result = await h.tpp('POST', CONSENTS, {
      token: await h.clientCredentialsToken(),
      body: { Data: { Permissions: ['ReadBalances'], TransactionFromDateTime: '2030-02-01T00:00:00Z', TransactionToDateTime: '2030-01-01T00:00:00Z' }, Risk: {} },
    });
    expectRefused(result, 400, [{ ErrorCode: 'U003', Message: 'TransactionFromDateTime must not be after TransactionToDateTime', Path: 'Data.TransactionFromDateTime' }]);
  });
});
