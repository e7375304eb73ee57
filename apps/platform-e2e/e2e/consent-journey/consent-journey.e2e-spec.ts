import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SandboxCredentials } from '@consentry/sandbox';
import { obSchemaErrors, TestDatabase } from '@consentry/testing';

import { authorizeAsPsu, freshTotpCode as freshOtp, TppClient } from '../../../../scripts/journey.js';
import { startTestPlatform, TestPlatform } from '../support/test-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x4c);
const DETAIL = ['ReadAccountsDetail', 'ReadBalances'];
const BASIC = ['ReadAccountsBasic', 'ReadBalances'];

/**
 * The foundation journey: a TPP obtains a consent, the PSU approves two of three accounts with SCA,
 * the TPP reads exactly those, the PSU revokes, and the admin finds every step in the audit trail.
 * The three apps run as real processes from their builds, as `npm start` runs them.
 */
describe('consent journey', () => {
  let platform: TestPlatform;
  let db: TestDatabase;
  let apps: TestPlatform['apps'];
  let sandbox: SandboxCredentials;
  let env: Record<string, string>;
  let tpp: TppClient;
  let output: string[];

  beforeAll(async () => {
    platform = await startTestPlatform('journey', { secretsKey: SECRETS_KEY, transactionsPerAccount: 50, seed: 7 });
    ({ db, apps, sandbox, env, tpp, output } = platform);
  });

  afterAll(async () => platform?.stop());

  async function createConsent(permissions: string[]) {
    const cc = await tpp.clientCredentialsToken();
    const response = await tpp.createConsent(cc.access_token, permissions, new Date(Date.now() + 86_400_000).toISOString());
    expect(response.status).toBe(201);
    return response;
  }

  async function authorise(consentId: string, accountIds: string[], psu = sandbox.psus[0]!) {
    const request = await tpp.pushAuthorizationRequest(consentId);
    const outcome = await authorizeAsPsu({
      authorizationUrl: request.url,
      issuer: env.AUTH_SERVER_URL!,
      psu,
      otp: () => freshOtp(psu.totpSecret),
      accountIds,
    });
    expect(outcome.redirect?.searchParams.get('error')).toBeNull();
    const tokens = await tpp.exchangeCode(outcome.redirect!, request);
    return { tokens, outcome, request };
  }

  function claimsOf(jwt: string) {
    return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
  }

  async function session(path: string, who: { username: string; password: string; totpSecret: string }) {
    const response = await fetch(`${env.API_URL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: who.username, password: who.password, otp: await freshOtp(who.totpSecret) }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { accessToken: string }).accessToken;
  }

  const alice = () => sandbox.psus[0]!;
  let consentId: string;
  let accessToken: string;

  it('creates an AWAU consent whose body matches OBReadConsentResponse1', async () => {
    const response = await createConsent(DETAIL);
    expect(response.body.Data.Status).toBe('AWAU');
    expect(response.headers.get('x-fapi-interaction-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(obSchemaErrors('OBReadConsentResponse1', response.body)).toEqual([]);
    consentId = response.body.Data.ConsentId;
  });

  it('lets the PSU approve two of three accounts after password and TOTP, and issues bound tokens', async () => {
    const accounts = alice().accounts;
    expect(accounts).toHaveLength(3);
    const { tokens, outcome } = await authorise(consentId, [accounts[0]!.accountId, accounts[1]!.accountId]);
    // The consent page names the TPP, the permissions in plain words and the accounts of both banks.
    expect(outcome.consentPage).toContain(sandbox.tpp.client_name);
    expect(outcome.consentPage).toContain('Your balances');
    for (const account of accounts) expect(outcome.consentPage).toContain(account.accountId);
    expect(outcome.redirect!.searchParams.get('iss')).toBe(env.AUTH_SERVER_URL);

    const claims = claimsOf(tokens.access_token);
    expect(claims.aud).toBe(env.API_URL);
    expect(claims.openbanking_intent_id).toBe(consentId);
    expect(claims.cnf.jkt).toEqual(expect.any(String));
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(claimsOf(tokens.id_token!).openbanking_intent_id).toBe(consentId);
    accessToken = tokens.access_token;

    const [row] = await db.dataSource.query(
      `SELECT status, array_agg(ca.account_id ORDER BY ca.account_id) AS accounts FROM account_access_consent c
         JOIN consent_account ca USING (consent_id) WHERE consent_id = $1 GROUP BY status`,
      [consentId],
    );
    expect(row.status).toBe('AUTH');
    expect(row.accounts).toEqual([accounts[0]!.accountId, accounts[1]!.accountId].sort());
  });

  it('refuses a second authorisation of the same consent', async () => {
    const psu = alice();
    const request = await tpp.pushAuthorizationRequest(consentId);
    const outcome = await authorizeAsPsu({
      authorizationUrl: request.url,
      issuer: env.AUTH_SERVER_URL!,
      psu,
      otp: () => freshOtp(psu.totpSecret),
      accountIds: [psu.accounts[2]!.accountId],
    }).catch((error: Error) => ({ error }));
    if ('redirect' in outcome && outcome.redirect) {
      expect(outcome.redirect.searchParams.get('error')).toEqual(expect.any(String));
    } else {
      expect('error' in outcome || !('redirect' in outcome && outcome.redirect)).toBe(true);
    }
    const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM consent_account WHERE consent_id = $1`, [consentId]);
    expect(row.n).toBe(2);
  });

  it('serves exactly the two approved accounts, with identification under ReadAccountsDetail', async () => {
    const response = await tpp.api(accessToken, 'GET', '/open-banking/v4.0/aisp/accounts');
    expect(response.status).toBe(200);
    expect(obSchemaErrors('OBReadAccount6', response.body)).toEqual([]);
    const ids = response.body.Data.Account.map((a: { AccountId: string }) => a.AccountId).sort();
    expect(ids).toEqual([alice().accounts[0]!.accountId, alice().accounts[1]!.accountId].sort());
    for (const account of response.body.Data.Account) {
      expect(account.Account[0]).toMatchObject({ SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: expect.stringMatching(/^\d{14}$/) });
    }
  });

  it('refuses the account the PSU did not pick with 403', async () => {
    const response = await tpp.api(accessToken, 'GET', `/open-banking/v4.0/aisp/accounts/${alice().accounts[2]!.accountId}`);
    expect(response.status).toBe(403);
    expect(response.body.Errors[0].ErrorCode).toEqual(expect.any(String));
    expect(JSON.stringify(response.body)).not.toContain(alice().accounts[2]!.nickname);
  });

  it('refuses a call without a DPoP proof, or with a proof for another URL, with 401', async () => {
    const bare = await fetch(`${env.API_URL}/open-banking/v4.0/aisp/accounts`, { headers: { authorization: `DPoP ${accessToken}` } });
    expect(bare.status).toBe(401);
    expect(bare.headers.get('x-fapi-interaction-id')).toEqual(expect.any(String));
    // A valid proof, but made for the consents URL, replayed against /accounts.
    const proofFor = async (url: string) => {
      let proof = '';
      const original = globalThis.fetch;
      globalThis.fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
        proof = new Headers(init?.headers).get('dpop') ?? '';
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      }) as typeof fetch;
      try {
        await tpp.api(accessToken, 'GET', url);
      } finally {
        globalThis.fetch = original;
      }
      return proof;
    };
    const proof = await proofFor('/open-banking/v4.0/aisp/balances');
    const wrongUrl = await fetch(`${env.API_URL}/open-banking/v4.0/aisp/accounts`, {
      headers: { authorization: `DPoP ${accessToken}`, dpop: proof },
    });
    expect(wrongUrl.status).toBe(401);
  });

  it('hides account identification under ReadAccountsBasic', async () => {
    const created = await createConsent(BASIC);
    const bob = sandbox.psus[1]!;
    const { tokens } = await authorise(created.body.Data.ConsentId, [bob.accounts[0]!.accountId], bob);
    const response = await tpp.api(tokens.access_token, 'GET', '/open-banking/v4.0/aisp/accounts');
    expect(response.status).toBe(200);
    expect(obSchemaErrors('OBReadAccount6', response.body)).toEqual([]);
    expect(response.body.Data.Account).toHaveLength(1);
    for (const account of response.body.Data.Account) expect(account).not.toHaveProperty('Account');
  });

  it('stops the TPP at once when the PSU revokes the consent', async () => {
    const token = await session('/customer/sessions', alice());
    const revoke = await fetch(`${env.API_URL}/customer/consents/${consentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(revoke.status).toBe(204);
    const after = await tpp.api(accessToken, 'GET', '/open-banking/v4.0/aisp/accounts');
    expect([401, 403]).toContain(after.status);
    expect(after.body.Errors[0].ErrorCode).toEqual(expect.any(String));
  });

  it('records every step in the audit trail, in order and without secrets', async () => {
    const token = await session('/admin/sessions', sandbox.admin);
    const expected = ['consent.created', 'consent.authorised', 'data.accessed', 'consent.revoked'];
    let events: Array<{ seq: string | number; type: string; consentId?: string }> = [];
    await expect
      .poll(
        async () => {
          const response = await fetch(`${env.API_URL}/admin/audit-events?consentId=${consentId}&limit=500`, {
            headers: { authorization: `Bearer ${token}` },
          });
          expect(response.status).toBe(200);
          events = ((await response.json()) as { events: typeof events }).events;
          return events.map((e) => e.type);
        },
        { timeout: 15_000, interval: 200 },
      )
      .toEqual(expect.arrayContaining(expected));
    const types = events.map((e) => e.type);
    expect(types.indexOf('consent.created')).toBeLessThan(types.indexOf('consent.authorised'));
    expect(types.indexOf('consent.authorised')).toBeLessThan(types.indexOf('consent.revoked'));
    const seqs = events.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // Login and token events are there too, and nothing in the whole log is a secret.
    let all: Array<{ event_type: string; event: unknown }> = [];
    await expect
      .poll(
        async () => {
          all = await db.dataSource.query(`SELECT event_type, event FROM audit_log ORDER BY seq`);
          return all.map((r) => r.event_type);
        },
        { timeout: 15_000, interval: 200 },
      )
      .toEqual(expect.arrayContaining(['psu.login.succeeded', 'token.issued', 'admin.login.succeeded']));
    const dump = JSON.stringify(all);
    for (const psu of sandbox.psus) {
      expect(dump).not.toContain(psu.password);
      expect(dump).not.toContain(psu.totpSecret);
    }
    expect(dump).not.toContain(sandbox.admin.password);
    expect(dump).not.toContain(accessToken);
    expect(dump).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+/);
    const [numbers] = await db.dataSource.query(`SELECT array_agg(identification) AS ids FROM account`);
    for (const identification of numbers.ids as string[]) expect(dump).not.toContain(identification);
  });

  it('kept every app healthy, with no unexpected error logged', () => {
    expect(output.filter((line) => /"level":\s*(50|60)|\bERROR\b|Unhandled|stack/i.test(line))).toEqual([]);
    for (const child of apps.children) expect(child.exitCode).toBeNull();
  });
});
