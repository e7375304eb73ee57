import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

describe('FAPI headers and parameter validation', () => {
  let h: ApiHarness;
  let alice: string[];

  beforeAll(async () => {
    h = await ApiHarness.start('request-validation');
    alice = h.psuAccounts('alice');
  });
  afterAll(async () => h?.stop());

  function expectRefused(result: { status: number; body: JsonBody }, status: number, errors: unknown[]): void {
    expect(result.status).toBe(status);
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors).toEqual(errors);
  }

  describe('x-fapi-auth-date and x-fapi-customer-ip-address', () => {
    it('accepts a well-formed auth date and customer address', async () => {
      const consentId = await h.authorisedConsent(['ReadBalances']);
      const result = await h.tpp('GET', `${AISP}/balances`, {
        token: await h.consentToken(consentId),
        headers: { 'x-fapi-auth-date': 'Sun, 10 Sep 2017 19:43:31 UTC', 'x-fapi-customer-ip-address': '2001:db8::7' },
      });
      expect(result.status).toBe(200);
      expectObSchema('OBReadBalance1', result.body);
    });

    it.each([
      ['x-fapi-auth-date', '2017-09-10T19:43:31Z', 'x-fapi-auth-date must be an RFC 7231 date such as "Sun, 10 Sep 2017 19:43:31 GMT"'],
      ['x-fapi-auth-date', 'Mon, 10 Sep 2017 19:43:31 GMT', 'x-fapi-auth-date must be an RFC 7231 date such as "Sun, 10 Sep 2017 19:43:31 GMT"'],
      ['x-fapi-customer-ip-address', '203.0.113.999', 'x-fapi-customer-ip-address must be an IPv4 or IPv6 address'],
      ['x-fapi-customer-ip-address', 'the-psu-laptop', 'x-fapi-customer-ip-address must be an IPv4 or IPv6 address'],
    ])('refuses a malformed %s (%s) with 400 U006 naming the header', async (header, value, message) => {
      const consentId = await h.authorisedConsent(['ReadBalances']);
      const result = await h.tpp('GET', `${AISP}/balances`, { token: await h.consentToken(consentId), headers: { [header]: value } });
      expectRefused(result, 400, [{ ErrorCode: 'U006', Message: message, Path: header }]);
    });
  });

  describe('path and query parameters', () => {
    it('refuses a malformed AccountId or StatementId with 400 U002 and its Path', async () => {
      const consentId = await h.authorisedConsent(['ReadStatementsBasic']);
      const token = await h.consentToken(consentId);
      expectRefused(await h.tpp('GET', `${AISP}/accounts/${'x'.repeat(41)}/statements`, { token }), 400, [
        { ErrorCode: 'U002', Message: 'AccountId is not a valid identifier', Path: 'AccountId' },
      ]);
      expectRefused(await h.tpp('GET', `${AISP}/accounts/bad%20id/statements`, { token }), 400, [
        { ErrorCode: 'U002', Message: 'AccountId is not a valid identifier', Path: 'AccountId' },
      ]);
      expectRefused(await h.tpp('GET', `${AISP}/accounts/${alice[0]}/statements/st%3Bmt`, { token }), 400, [
        { ErrorCode: 'U002', Message: 'StatementId is not a valid identifier', Path: 'StatementId' },
      ]);
    });

    it('refuses a malformed ConsentId with 400 U002', async () => {
      const result = await h.tpp('GET', `${AISP}/account-access-consents/aac-bad%20consent`, { token: await h.clientCredentialsToken() });
      expectRefused(result, 400, [{ ErrorCode: 'U002', Message: 'ConsentId is not a valid identifier', Path: 'ConsentId' }]);
    });

    it.each([
      [`${AISP}/accounts?status=Enabled`, 'status'],
      [`${AISP}/accounts/ACCOUNT/party?page=abc`, 'page'],
      [`${AISP}/accounts/ACCOUNT/transactions?fromBookingDateTime=2030-01-01&limit=1000`, 'limit'],
      [`${AISP}/statements?fromBookingDateTime=2030-01-01`, 'fromBookingDateTime'],
    ])('refuses the unexpected parameter of %s with 400 U005', async (template, name) => {
      const consentId = await h.authorisedConsent(['ReadAccountsBasic', 'ReadParty', 'ReadStatementsBasic', 'ReadTransactionsBasic', 'ReadTransactionsDebits']);
      const result = await h.tpp('GET', template.replace('ACCOUNT', alice[0]!), { token: await h.consentToken(consentId) });
      expectRefused(result, 400, [{ ErrorCode: 'U005', Message: `${name} is not a field of this resource`, Path: name }]);
    });

    it('refuses an unexpected parameter on the consent endpoints with 400 U005', async () => {
      const result = await h.tpp('POST', `${AISP}/account-access-consents?debug=1`, {
        token: await h.clientCredentialsToken(),
        body: { Data: { Permissions: ['ReadBalances'] }, Risk: {} },
      });
      expectRefused(result, 400, [{ ErrorCode: 'U005', Message: 'debug is not a field of this resource', Path: 'debug' }]);
    });

    it('refuses malformed dates with U003 and a forged or foreign page token with U002', async () => {
      const consentId = await h.authorisedConsent(['ReadTransactionsBasic', 'ReadTransactionsDebits', 'ReadStatementsBasic', 'ReadBeneficiariesBasic']);
      const token = await h.consentToken(consentId);
      const date = await h.tpp('GET', `${AISP}/statements?toStatementDateTime=2030-13-01`, { token });
      expect(date.status).toBe(400);
      expect(date.body.Errors[0]).toMatchObject({ ErrorCode: 'U003', Path: 'toStatementDateTime' });
      const repeated = await h.tpp('GET', `${AISP}/transactions?fromBookingDateTime=2030-01-01&fromBookingDateTime=2030-01-02`, { token });
      expect(repeated.status).toBe(400);
      expect(repeated.body.Errors[0]).toMatchObject({ Path: 'fromBookingDateTime' });
      for (const path of [
        `${AISP}/beneficiaries?page=${Buffer.from('{"not":"a cursor"}').toString('base64url')}`,
        `${AISP}/transactions?page=${Buffer.from(JSON.stringify({ a: 'someone-elses-account', c: null })).toString('base64url')}`,
        `${AISP}/accounts/${alice[0]}/transactions?page=bogus`,
      ]) {
        expectRefused(await h.tpp('GET', path, { token }), 400, [{ ErrorCode: 'U002', Message: 'The page cursor is not valid', Path: 'page' }]);
      }
      expectRefused(await h.tpp('GET', `${AISP}/beneficiaries?page=not%20base64`, { token }), 400, [
        { ErrorCode: 'U002', Message: 'page must match /^[A-Za-z0-9_-]+$/ regular expression', Path: 'page' },
      ]);
    });

    it('answers unknown routes with 404 and wrong methods with 405 in the OB shape', async () => {
      const notFound = await h.call('GET', `${AISP}/accounts/${alice[0]}/mortgages`);
      expectRefused(notFound, 404, [{ ErrorCode: 'U011', Message: 'No such resource' }]);
      const wrongMethod = await h.call('DELETE', `${AISP}/accounts/${alice[0]}/standing-orders`);
      expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD');
      expectRefused(wrongMethod, 405, [{ ErrorCode: 'U042', Message: 'DELETE is not allowed here' }]);
      const post = await h.call('POST', `${AISP}/statements`);
      expect(post.status).toBe(405);
    });
  });
});
