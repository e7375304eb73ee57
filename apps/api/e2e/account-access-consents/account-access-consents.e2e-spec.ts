import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, jsonString } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const CONSENTS = `${AISP}/account-access-consents`;
const FUTURE = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();

describe('account-access-consents', () => {
  let h: ApiHarness;
  let token: string;

  beforeAll(async () => {
    h = await ApiHarness.start('consents');
    token = await h.clientCredentialsToken();
  });
  afterAll(async () => h?.stop());

  async function consentRows(): Promise<number> {
    const [row] = await h.dataSource.query(`SELECT count(*)::int AS n FROM account_access_consent`);
    return row.n as number;
  }

  it('creates a consent awaiting authorisation, shaped as OBReadConsentResponse1', async () => {
    const result = await h.tpp('POST', CONSENTS, {
      token,
      body: { Data: { Permissions: ['ReadAccountsDetail', 'ReadBalances'], ExpirationDateTime: FUTURE }, Risk: {} },
    });
    expect(result.status).toBe(201);
    expectObSchema('OBReadConsentResponse1', result.body);
    expect(result.body.Data).toMatchObject({ Status: 'AWAU', Permissions: ['ReadAccountsDetail', 'ReadBalances'] });
    expect(result.body.Links.Self).toBe(`${h.api.publicUrl}${CONSENTS}/${result.body.Data.ConsentId}`);
    expect(result.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a well-formed x-fapi-interaction-id and replaces a malformed one', async () => {
    const id = '93bac548-d2de-4546-b106-880a5018460d';
    const echoed = await h.tpp('POST', CONSENTS, { token, headers: { 'x-fapi-interaction-id': id }, body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } });
    expect(echoed.headers.get('x-fapi-interaction-id')).toBe(id);
    const replaced = await h.tpp('POST', CONSENTS, { token, headers: { 'x-fapi-interaction-id': 'not a uuid <script>' }, body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } });
    expect(replaced.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('reads its own consent and answers 404 for a missing or another TPP’s consent alike', async () => {
    const created = await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } });
    const id = jsonString(created.body.Data.ConsentId);
    const read = await h.tpp('GET', `${CONSENTS}/${id}`, { token });
    expect(read.status).toBe(200);
    expectObSchema('OBReadConsentResponse1', read.body);
    expect(read.body.Data.ConsentId).toBe(id);

    await h.dataSource.query(
      `INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ('other-tpp', 'Other', '{AISP}', '{}')`,
    );
    const otherToken = await h.issuer.mintAccessToken({ clientId: 'other-tpp', audience: h.api.publicUrl, jkt: h.dpop.jkt });
    const foreign = await h.tpp('GET', `${CONSENTS}/${id}`, { token: otherToken });
    const missing = await h.tpp('GET', `${CONSENTS}/aac-does-not-exist`, { token });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body.Errors).toEqual(missing.body.Errors);
    expectObSchema('OBErrorResponse1', foreign.body);
  });

  it('deletes a consent with 204 and it reads back as CANC', async () => {
    const created = await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } });
    const id = jsonString(created.body.Data.ConsentId);
    const deleted = await h.tpp('DELETE', `${CONSENTS}/${id}`, { token });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('x-fapi-interaction-id')).toBeTruthy();
    const read = await h.tpp('GET', `${CONSENTS}/${id}`, { token });
    expect(read.body.Data.Status).toBe('CANC');
    expectObSchema('OBReadConsentResponse1', read.body);
  });

  it.each([
    ['an unknown field', { Data: { Permissions: ['ReadBalances'], Colour: 'red' }, Risk: {} }, 'U005', 'Data.Colour'],
    ['a field of the wrong type', { Data: { Permissions: 'ReadBalances' }, Risk: {} }, 'U002', 'Data.Permissions'],
    ['a missing Permissions', { Data: {}, Risk: {} }, 'U004', 'Data.Permissions'],
    ['a missing Risk', { Data: { Permissions: ['ReadBalances'] } }, 'U004', 'Risk'],
    ['an unknown permission', { Data: { Permissions: ['ReadEverything'] }, Risk: {} }, 'U002', 'Data.Permissions'],
    ['a date without timezone', { Data: { Permissions: ['ReadBalances'], ExpirationDateTime: '2031-01-01T00:00:00' }, Risk: {} }, 'U003', 'Data.ExpirationDateTime'],
    ['a past expiry', { Data: { Permissions: ['ReadBalances'], ExpirationDateTime: '2020-01-01T00:00:00+00:00' }, Risk: {} }, 'U003', 'Data.ExpirationDateTime'],
    ['transactions without a direction', { Data: { Permissions: ['ReadTransactionsBasic'] }, Risk: {} }, 'U001', 'Data.Permissions'],
    ['a repeated permission', { Data: { Permissions: ['ReadBalances', 'ReadBalances'] }, Risk: {} }, 'U002', 'Data.Permissions'],
  ])('refuses %s with 400, the exact code and path, and writes nothing', async (_, body, errorCode, path) => {
    const before = await consentRows();
    const result = await h.tpp('POST', CONSENTS, { token, body });
    expect(result.status).toBe(400);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: errorCode, Path: path });
    expect(result.headers.get('x-fapi-interaction-id')).toBeTruthy();
    expect(await consentRows()).toBe(before);
  });

  it('refuses account data and account-access consents to a TPP the register no longer lists as an AISP, at its next call', async () => {
    const consentId = await h.authorisedConsent(['ReadAccountsBasic']);
    const dataToken = await h.consentToken(consentId);
    expect((await h.tpp('GET', `${AISP}/accounts`, { token: dataToken })).status).toBe(200);
    // Until 7 December 2026 the API left the AISP role to the authorization server, whose refresh carried the old scope on.
    await h.dataSource.query(`UPDATE tpp SET roles = '{PISP,CBPII}' WHERE client_id = $1`, [h.clientId]);
    try {
      for (const refused of [
        await h.tpp('GET', `${AISP}/accounts`, { token: dataToken }),
        await h.tpp('GET', `${CONSENTS}/${consentId}`, { token }),
        await h.tpp('POST', CONSENTS, { token, body: { Data: { Permissions: ['ReadAccountsBasic'], ExpirationDateTime: FUTURE }, Risk: {} } }),
      ]) {
        expect(refused.status).toBe(403);
        expect(refused.body.Errors).toEqual([expect.objectContaining({ ErrorCode: 'U042', Message: 'The TPP does not hold the AISP role' })]);
      }
    } finally {
      await h.dataSource.query(`UPDATE tpp SET roles = '{AISP,PISP,CBPII}' WHERE client_id = $1`, [h.clientId]);
    }
    expect((await h.tpp('GET', `${AISP}/accounts`, { token: dataToken })).status).toBe(200);
  });

  it('refuses a consent-bound token on the consent endpoints', async () => {
    const consentToken = await h.consentToken('aac-anything');
    const result = await h.tpp('POST', CONSENTS, { token: consentToken, body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} } });
    expect(result.status).toBe(403);
  });
});
