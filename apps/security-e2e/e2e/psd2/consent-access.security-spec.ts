import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxPsuCredentials } from '@consentry/sandbox';

import { authorizeAsPsu, freshTotpCode, PsuAgent } from '../../../../scripts/journey.js';
import {
  AISP,
  ALL_READ_PERMISSIONS,
  apiCall,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  clientCredentials,
  dpopProof,
  expectNothingWritten,
  HttpResult,
  KeyedTppClient,
  secretsInLogs,
  startAttackPlatform,
  tppWithKnownDpopKey,
} from '../support/attack-platform.js';

const NOT_USABLE = [{ ErrorCode: 'U009', Message: 'The consent is not authorised, has expired or was revoked' }];

interface ObResult {
  status: number;
  headers: Headers;
  body: { Errors?: unknown; Data?: Record<string, unknown> };
}

/**
 * PSD2 RTS Art. 10a (re-authentication of ongoing access) and Art. 36 (data exchanges with AISPs):
 * data only under a consent that is authorised and live, for the accounts the PSU selected, the
 * permissions granted and the consent's transaction period, and at most four reads a day per account
 * without the PSU present (Art. 36(5)(b)). Every check reads the consent row on every call.
 */
describe('PSD2 RTS Art. 10a and 36: account data only within a live consent', () => {
  let platform: AttackPlatform;
  let tpp: KeyedTppClient;
  let alice: SandboxPsuCredentials;
  let bob: SandboxPsuCredentials;
  let carol: SandboxPsuCredentials;
  /** Alice's first account, all read permissions. */
  let main: AuthorisedConsent;
  /** Alice's first account; its row is aged, expired and re-statused by the cases, then restored. */
  let mutable: AuthorisedConsent;
  /** Bob's first account, ReadAccountsBasic only. */
  let basic: AuthorisedConsent;

  beforeAll(async () => {
    platform = await startAttackPlatform('psd2_consent');
    tpp = await tppWithKnownDpopKey(platform, platform.sandbox.tpp);
    [alice, bob, carol] = platform.sandbox.psus as [SandboxPsuCredentials, SandboxPsuCredentials, SandboxPsuCredentials];
    main = await authorisedConsent(platform, tpp.client, { psu: alice });
    basic = await authorisedConsent(platform, tpp.client, { psu: bob, permissions: ['ReadAccountsBasic'] });
    mutable = await authorisedConsent(platform, tpp.client, { psu: alice });
  });

  afterAll(async () => platform?.stop());

  /** A PSU-present read with a fresh proof of the TPP's key. */
  function read(consent: AuthorisedConsent, path: string): Promise<ObResult> {
    return tpp.client.api(consent.accessToken, 'GET', path) as Promise<ObResult>;
  }

  /** A read by the TPP on its own: no x-fapi-customer-ip-address (RTS Art. 36(5)(b)). */
  async function unattendedRead(consent: AuthorisedConsent, path: string): Promise<HttpResult> {
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: `${platform.env.API_URL!}${path}`, accessToken: consent.accessToken });
    return apiCall(platform, 'GET', path, { authorization: `DPoP ${consent.accessToken}`, dpop: proof });
  }

  async function updateConsent(consent: AuthorisedConsent, set: string): Promise<void> {
    await platform.db.dataSource.query(`UPDATE account_access_consent SET ${set} WHERE consent_id = $1`, [consent.consentId]);
  }

  function accountPath(consent: AuthorisedConsent, resource = 'balances'): string {
    return `${AISP}/accounts/${consent.accountIds[0]!}/${resource}`;
  }

  it('refuses data with 403 U028 once the re-authentication period has passed (Art. 10a)', async () => {
    expect((await read(mutable, accountPath(mutable))).status).toBe(200);
    // UK (FCA SCA-RTS Art. 10A): 90 days; EU: 180 days. 200 days after authorisation both are due.
    for (const jurisdiction of ['UK', 'EU']) {
      await updateConsent(mutable, `jurisdiction = '${jurisdiction}', authorised_at = now() - interval '200 days'`);
      const result = await expectNothingWritten(platform, () => read(mutable, accountPath(mutable)));
      expect(result.status).toBe(403);
      expect(result.body.Errors).toEqual([{ ErrorCode: 'U028', Message: 'The PSU must re-authenticate this consent before its data can be read' }]);
    }
    await updateConsent(mutable, `authorised_at = now()`);
    expect((await read(mutable, accountPath(mutable))).status).toBe(200);
  });

  it('refuses data under a consent that is not AUTH: AWAU, RJCT, EXPD, CANC', async () => {
    for (const status of ['AWAU', 'RJCT', 'EXPD', 'CANC']) {
      await updateConsent(mutable, `status = '${status}'`);
      const result = await expectNothingWritten(platform, () => read(mutable, accountPath(mutable)));
      expect(result.status).toBe(403);
      expect(result.body.Errors).toEqual(NOT_USABLE);
    }
    await updateConsent(mutable, `status = 'AUTH'`);
    expect((await read(mutable, accountPath(mutable))).status).toBe(200);
  });

  it('refuses data at once when the consent’s ExpirationDateTime passes, before any expiry job runs', async () => {
    await updateConsent(mutable, `expiration_date_time = now() - interval '1 second'`);
    const result = await expectNothingWritten(platform, () => read(mutable, accountPath(mutable)));
    expect(result.status).toBe(403);
    expect(result.body.Errors).toEqual(NOT_USABLE);
    await updateConsent(mutable, `expiration_date_time = now() + interval '1 day'`);
  });

  it('refuses data under a consent the TPP revoked (DELETE: CANC), with the token it still holds', async () => {
    const revoked = await authorisedConsent(platform, tpp.client, { psu: carol });
    expect((await read(revoked, accountPath(revoked))).status).toBe(200);
    const deleted = await tpp.client.api(await clientCredentials(platform, tpp.client), 'DELETE', `${AISP}/account-access-consents/${revoked.consentId}`);
    expect(deleted.status).toBe(204);
    const result = await expectNothingWritten(platform, () => read(revoked, accountPath(revoked)));
    expect(result.status).toBe(403);
    expect(result.body.Errors).toEqual(NOT_USABLE);
  });

  it("refuses an account the PSU did not select for the consent, or one that does not exist, with the same answer", async () => {
    await expectNothingWritten(platform, async () => {
      for (const accountId of [alice.accounts[1]!.accountId, alice.accounts[2]!.accountId, 'acc-00000000-0000-4000-8000-000000000000']) {
        const result = await read(main, `${AISP}/accounts/${accountId}/balances`);
        expect(result.status).toBe(403);
        expect(result.body.Errors).toEqual([{ ErrorCode: 'U011', Message: 'The account is not covered by the consent', Path: 'AccountId' }]);
      }
    });
  });

  it('lists only the accounts the PSU selected (bulk accounts, balances, transactions)', async () => {
    const selected = main.accountIds;
    const accounts = await expectNothingWritten(platform, () => read(main, `${AISP}/accounts`), { audit: ['data.accessed'] });
    expect(accounts.status).toBe(200);
    expect((accounts.body.Data!.Account as Array<{ AccountId: string }>).map((a) => a.AccountId)).toEqual(selected);
    const balances = await expectNothingWritten(platform, () => read(main, `${AISP}/balances`), { audit: ['data.accessed'] });
    expect(new Set((balances.body.Data!.Balance as Array<{ AccountId: string }>).map((b) => b.AccountId))).toEqual(new Set(selected));
    const transactions = await expectNothingWritten(platform, () => read(main, `${AISP}/transactions`), { audit: ['data.accessed'] });
    const ids = (transactions.body.Data!.Transaction as Array<{ AccountId: string }>).map((t) => t.AccountId);
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids)).toEqual(new Set(selected));
  });

  it('refuses a resource whose permission the consent does not grant (ReadAccountsBasic only)', async () => {
    const refusals: Array<[string, string]> = [
      ['transactions', 'ReadTransactionsBasic or ReadTransactionsDetail'],
      ['balances', 'ReadBalances'],
      ['beneficiaries', 'ReadBeneficiariesBasic or ReadBeneficiariesDetail'],
      ['standing-orders', 'ReadStandingOrdersBasic or ReadStandingOrdersDetail'],
      ['direct-debits', 'ReadDirectDebits'],
      ['scheduled-payments', 'ReadScheduledPaymentsBasic or ReadScheduledPaymentsDetail'],
      ['statements', 'ReadStatementsBasic or ReadStatementsDetail'],
      ['offers', 'ReadOffers'],
      ['product', 'ReadProducts'],
    ];
    await expectNothingWritten(platform, async () => {
      for (const [resource, permissions] of refusals) {
        const result = await read(basic, accountPath(basic, resource));
        expect(result.status, resource).toBe(403);
        expect(result.body.Errors).toEqual([{ ErrorCode: 'U042', Message: `The consent does not grant ${permissions}` }]);
      }
    });
  });

  it("serves no transaction booked outside the consent's TransactionFromDateTime / TransactionToDateTime, whatever the query asks", async () => {
    const account = carol.accounts[0]!.accountId;
    const rows: Array<{ booked: Date }> = await platform.db.dataSource.query(
      `SELECT booking_date_time AS booked FROM transaction WHERE account_id = $1 ORDER BY booking_date_time`,
      [account],
    );
    expect(rows.length).toBeGreaterThanOrEqual(4);
    // A window that leaves transactions out on both sides.
    const from = new Date(rows[1]!.booked.getTime() - 1000);
    const to = new Date(rows[rows.length - 2]!.booked.getTime() + 1000);
    const inside = rows.filter((r) => r.booked >= from && r.booked <= to).length;
    expect(inside).toBeLessThan(rows.length);

    const cc = await clientCredentials(platform, tpp.client);
    const created = await tpp.client.api(cc, 'POST', `${AISP}/account-access-consents`, {
      Data: { Permissions: ALL_READ_PERMISSIONS, ExpirationDateTime: new Date(Date.now() + 86_400_000).toISOString(), TransactionFromDateTime: from.toISOString(), TransactionToDateTime: to.toISOString() },
      Risk: {},
    });
    expect(created.status).toBe(201);
    const request = await tpp.client.pushAuthorizationRequest(created.body.Data.ConsentId as string);
    const outcome = await authorizeAsPsu({ authorizationUrl: request.url, issuer: platform.env.AUTH_SERVER_URL!, psu: carol, otp: () => freshTotpCode(carol.totpSecret), accountIds: [account] });
    const tokens = await tpp.client.exchangeCode(outcome.redirect!, request);
    platform.secrets.add(tokens.access_token);
    const windowed: AuthorisedConsent = { consentId: created.body.Data.ConsentId as string, accessToken: tokens.access_token, accountIds: [account], psu: carol };

    const wide = `?fromBookingDateTime=2000-01-01T00:00:00&toBookingDateTime=2099-12-31T23:59:59`;
    await expectNothingWritten(platform, async () => {
      for (const path of [`${AISP}/accounts/${account}/transactions${wide}`, `${AISP}/transactions${wide}`]) {
        const result = await read(windowed, path);
        expect(result.status).toBe(200);
        const booked = (result.body.Data!.Transaction as Array<{ BookingDateTime: string }>).map((t) => new Date(t.BookingDateTime));
        expect(booked).toHaveLength(inside);
        for (const date of booked) expect(date >= from && date <= to, date.toISOString()).toBe(true);
      }
    }, { audit: ['data.accessed', 'data.accessed'] });
  });

  it('refuses the fifth unattended read of an account in a day with 429 and Retry-After (Art. 36(5)(b))', async () => {
    const path = accountPath(main);
    for (let call = 1; call <= 4; call++) expect((await unattendedRead(main, path)).status).toBe(200);
    const fifth = await expectNothingWritten(platform, () => unattendedRead(main, path));
    expect(fifth.status).toBe(429);
    expect((fifth.body as { Errors: Array<{ ErrorCode: string }> }).Errors.map((e) => e.ErrorCode)).toEqual(['U042']);
    expect(Number(fifth.headers.get('retry-after'))).toBeGreaterThan(0);
    // With the PSU present the same account is still served.
    expect((await read(main, path)).status).toBe(200);
  });

  /** The PSU opens the TPP's authorization request for `consentId`: where the journey lands at once. */
  async function openAuthorization(consentId: string): Promise<{ redirect?: URL; state: string }> {
    const request = await tpp.client.pushAuthorizationRequest(consentId);
    const step = await expectNothingWritten(platform, () => new PsuAgent().follow(request.url.toString(), new URL(platform.env.AUTH_SERVER_URL!).origin), {
      ignoreModels: ['Interaction'],
    });
    return { redirect: step.redirect, state: request.state };
  }

  it('refuses a second authorisation of an authorised consent: no account is added to it later', async () => {
    const opened = await openAuthorization(main.consentId);
    expect(Object.fromEntries(opened.redirect!.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'the requested consent is not awaiting authorisation',
      state: opened.state,
      iss: platform.env.AUTH_SERVER_URL!,
    });
  });

  it('refuses to authorise a consent whose ExpirationDateTime has passed while it awaited authorisation', async () => {
    const cc = await clientCredentials(platform, tpp.client);
    const created = await tpp.client.createConsent(cc, ['ReadAccountsBasic'], new Date(Date.now() + 86_400_000).toISOString());
    expect(created.status).toBe(201);
    await platform.db.dataSource.query(`UPDATE account_access_consent SET expiration_date_time = now() - interval '1 second' WHERE consent_id = $1`, [created.body.Data.ConsentId]);
    const opened = await openAuthorization(created.body.Data.ConsentId as string);
    expect(Object.fromEntries(opened.redirect!.searchParams)).toEqual({
      error: 'invalid_request',
      error_description: 'the requested consent has expired',
      state: opened.state,
      iss: platform.env.AUTH_SERVER_URL!,
    });
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});

