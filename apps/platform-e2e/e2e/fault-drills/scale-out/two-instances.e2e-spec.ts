import { setGlobalDispatcher } from 'undici';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { verifyAuditChain } from '@consentry/audit';

import { authorizeAsPsu, freshTotpCode as freshOtp } from '../../../../../scripts/journey.js';
import { oneRequestPerConnection, ScaledPlatform, startScaledPlatform } from '../../support/scaled-platform.js';

const SECRETS_KEY = Buffer.alloc(32, 0x2b);
const AISP = '/open-banking/v4.0/aisp';
const PISP = '/open-banking/v4.0/pisp';
const WAIT = { timeout: 30_000, interval: 250 };

/**
 * Scale-out: two api processes, two auth servers and two workers on one PostgreSQL and one Redis, the
 * api and auth-server pairs behind round-robin TCP proxies with keep-alive off, so that consecutive
 * requests land on alternate instances. Everything a request leaves behind (sessions, interactions, the
 * DPoP replay cache, login failures, consents, audit) must be shared, and every job must run once.
 */
describe('two instances of each app', () => {
  let platform: ScaledPlatform;
  let restoreDispatcher: ReturnType<typeof oneRequestPerConnection>;

  beforeAll(async () => {
    restoreDispatcher = oneRequestPerConnection();
    platform = await startScaledPlatform('twoinst', {
      secretsKey: SECRETS_KEY,
      seed: 31,
      env: { CONSENT_EXPIRY_INTERVAL_MS: '500', SCHEDULED_PAYMENT_INTERVAL_MS: '300', AUDIT_RELAY_INTERVAL_MS: '100', AUDIT_CHECKPOINT_INTERVAL_MS: '1000', LOGIN_IP_MAX_FAILURES: '10' },
    });
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    if (restoreDispatcher) setGlobalDispatcher(restoreDispatcher);
  });

  const alice = () => platform.sandbox.psus[0]!;
  const carol = () => platform.sandbox.psus.find((p) => p.username === 'carol')!;

  async function authorisedConsent(expiresInMs = 86_400_000, psu = alice()): Promise<{ consentId: string; accessToken: string; accountIds: string[] }> {
    const { tpp, env } = platform;
    const cc = await tpp.clientCredentialsToken();
    const created = await tpp.createConsent(cc.access_token, ['ReadAccountsDetail', 'ReadBalances'], new Date(Date.now() + expiresInMs).toISOString());
    expect(created.status).toBe(201);
    const consentId = created.body.Data.ConsentId as string;
    const request = await tpp.pushAuthorizationRequest(consentId);
    const accounts: Array<{ account_id: string }> = await platform.db.dataSource.query(
      `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id WHERE p.username = $1 ORDER BY a.account_id LIMIT 2`,
      [psu.username],
    );
    const accountIds = accounts.map((a) => a.account_id);
    const outcome = await authorizeAsPsu({ authorizationUrl: request.url, issuer: env.AUTH_SERVER_URL!, psu, otp: () => freshOtp(psu.totpSecret), accountIds });
    expect(outcome.redirect?.searchParams.get('error')).toBeNull();
    const tokens = await tpp.exchangeCode(outcome.redirect!, request);
    return { consentId, accessToken: tokens.access_token, accountIds };
  }

  function spread(): Array<[number, number]> {
    return [platform.proxies.api, platform.proxies.authServer].flatMap((proxy) => [...proxy.connections.entries()]);
  }

  it('runs the whole consent journey through both instances of the api and the auth server', async () => {
    const { tpp, env } = platform;
    const { consentId, accessToken, accountIds } = await authorisedConsent();
    const accounts = await tpp.api(accessToken, 'GET', `${AISP}/accounts`);
    expect(accounts.status).toBe(200);
    expect((accounts.body.Data.Account as Array<{ AccountId: string }>).map((a) => a.AccountId).sort()).toEqual([...accountIds].sort());
    for (const accountId of accountIds) expect((await tpp.api(accessToken, 'GET', `${AISP}/accounts/${accountId}/balances`)).status).toBe(200);

    // The PSU revokes on one api instance; the TPP is refused on both from its next request.
    const signIn = await fetch(`${env.API_URL}/customer/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: alice().username, password: alice().password, otp: await freshOtp(alice().totpSecret) }),
    });
    expect(signIn.status).toBe(201);
    const session = ((await signIn.json()) as { accessToken: string }).accessToken;
    const revoked = await fetch(`${env.API_URL}/customer/consents/${consentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${session}` } });
    expect(revoked.status).toBe(204);
    // (401 once the grant is gone, 403 if the consent guard sees the revocation first: the journey's rule.)
    for (let i = 0; i < 2; i++) expect([401, 403]).toContain((await tpp.api(accessToken, 'GET', `${AISP}/accounts`)).status);

    // Every backend of both proxies served part of it, about evenly (connections alternate).
    for (const [port, count] of spread()) {
      expect(count, `instance on port ${port}`).toBeGreaterThan(2);
    }
    for (const proxy of [platform.proxies.api, platform.proxies.authServer]) {
      const [a, b] = [...proxy.connections.values()];
      expect(Math.abs(a! - b!)).toBeLessThanOrEqual(1);
    }
  });

  it('refuses a DPoP proof replayed to the other api instance', async () => {
    const { tpp, instances } = platform;
    const { accessToken } = await authorisedConsent();
    // The TPP's own request, sent to instance 1 directly; its proof (htu: the public URL) then replayed to instance 2.
    let sent: { url: string; headers: Headers } | undefined;
    const config: oidc.Configuration = tpp.config;
    // None set before: the global fetch is what openid-client used, so it is what goes back.
    const previous: oidc.CustomFetch = config[oidc.customFetch] ?? ((url, options) => fetch(url, options));
    const intercept: oidc.CustomFetch = async (url, options) => {
      const headers = new Headers(options.headers);
      const direct = new URL(url);
      if (direct.port === String(platform.proxies.api.port)) {
        direct.port = String(instances[0]!.api);
        sent = { url: direct.toString(), headers };
      }
      return fetch(direct, { method: options.method, headers, body: options.body, redirect: options.redirect });
    };
    config[oidc.customFetch] = intercept;
    try {
      expect((await tpp.api(accessToken, 'GET', `${AISP}/accounts`)).status).toBe(200);
    } finally {
      // A setter on the configuration (delete would leave it in place).
      config[oidc.customFetch] = previous;
    }
    expect(sent?.headers.get('dpop')).toBeTruthy();
    const replayUrl = new URL(sent!.url);
    replayUrl.port = String(instances[1]!.api);
    const replayed = await fetch(replayUrl, { headers: sent!.headers });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate') ?? '').toMatch(/invalid_dpop_proof|DPoP/);
    // And to instance 1 again: refused there too.
    expect((await fetch(sent!.url, { headers: sent!.headers })).status).toBe(401);
  });

  it('counts failed sign-ins across instances: five failures spread over both lock the PSU on either', async () => {
    const { instances, sandbox } = platform;
    const bob = sandbox.psus.find((p) => p.username === 'bob')!;
    const signIn = (port: number, password: string, otp: string) =>
      fetch(`http://localhost:${port}/customer/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: bob.username, password, otp }),
      });
    for (let i = 0; i < 5; i++) expect((await signIn(instances[i % 2]!.api, 'wrong-password', '000000')).status).toBe(401);
    // The right password and code, now on each instance: locked (answered as a wrong password).
    for (const ports of instances) expect((await signIn(ports.api, bob.password, await freshOtp(bob.totpSecret))).status).toBe(401);
    const [row] = await platform.db.dataSource.query(`SELECT locked_until > now() AS locked FROM psu WHERE username = $1`, [bob.username]);
    expect(row.locked).toBe(true);
  });

  it('expires a consent once, though both workers sweep', async () => {
    // carol's: alice's one-time codes of this 30 s step are spent by the tests above (a third would wait for the next step).
    const { consentId } = await authorisedConsent(86_400_000, carol());
    // Its end date comes: moved to a second from now (the sweep, not the clock, is under test).
    await platform.db.dataSource.query(`UPDATE account_access_consent SET expiration_date_time = now() + interval '1 second' WHERE consent_id = $1`, [consentId]);
    await vi.waitFor(async () => {
      const [row] = await platform.db.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId]);
      expect(row.status).toBe('EXPD');
    }, WAIT);
    // Both workers keep sweeping meanwhile; give them a few more rounds, then count.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await vi.waitFor(async () => {
      const [pending] = await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE relayed_at IS NULL`);
      expect(pending.n).toBe(0);
    }, WAIT);
    const [events] = await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'consent.expired' AND consent_id = $1`, [consentId]);
    expect(events.n).toBe(1);
  });

  it('runs a scheduled payment once and settles it once, though both workers run both schedules', async () => {
    const { tpp, env, db } = platform;
    // carol: alice's one-time codes are spent by the other tests, and bob is locked by one of them.
    const psu = carol();
    const [debtor] = await db.dataSource.query(
      `SELECT a.account_id FROM account a JOIN psu p ON p.psu_id = a.psu_id
        WHERE p.username = $1 AND a.currency = 'GBP' AND a.scheme_name = 'UK.OBIE.SortCodeAccountNumber' AND a.status = 'Enabled'
        ORDER BY a.account_id LIMIT 1`,
      [psu.username],
    );
    await db.dataSource.query(`UPDATE balance SET amount = 1000, credit_debit_indicator = 'Credit' WHERE account_id = $1`, [debtor.account_id]);
    // A payee outside the sandbox: one debit leg, booked under the payment's id.
    const initiation = {
      InstructionIdentification: 'I-TWOINST-1',
      EndToEndIdentification: 'TWOINST-1',
      InstructedAmount: { Amount: '12.34', Currency: 'GBP' },
      CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60161331926819', Name: 'Window Cleaners Ltd' },
      RequestedExecutionDateTime: new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
    };
    const cc = await tpp.clientCredentialsToken('payments');
    const created = await tpp.signedPost(cc.access_token, `${PISP}/domestic-scheduled-payment-consents`, { Data: { Permission: 'Create', Initiation: initiation }, Risk: {} });
    expect(created.status).toBe(201);
    const consentId = created.body.Data.ConsentId as string;
    const request = await tpp.pushAuthorizationRequest(consentId, 'openid payments');
    const outcome = await authorizeAsPsu({ authorizationUrl: request.url, issuer: env.AUTH_SERVER_URL!, psu, otp: () => freshOtp(psu.totpSecret), accountIds: [debtor.account_id] });
    expect(outcome.redirect?.searchParams.get('error')).toBeNull();
    const tokens = await tpp.exchangeCode(outcome.redirect!, request);
    const ordered = await tpp.signedPost(tokens.access_token, `${PISP}/domestic-scheduled-payments`, { Data: { ConsentId: consentId, Initiation: initiation }, Risk: {} });
    expect(ordered.status).toBe(201);
    const paymentId = ordered.body.Data.DomesticScheduledPaymentId as string;
    const [waiting] = await db.dataSource.query(`SELECT status FROM domestic_payment WHERE payment_id = $1`, [paymentId]);
    expect(waiting.status).toBe('PDNG');

    // Its date comes: moved to now (the schedule, not the clock, is under test; both workers run it every
    // 300 ms). The run debits it (ACSP); the settlement job (every 5 s) then settles it (ACSC).
    await db.dataSource.query(`UPDATE domestic_payment SET requested_execution_date_time = now() WHERE payment_id = $1`, [paymentId]);
    await vi.waitFor(async () => {
      const read = await tpp.api(cc.access_token, 'GET', `${PISP}/domestic-scheduled-payments/${paymentId}`);
      expect(read.body.Data.Status).toBe('ACSC');
    }, WAIT);
    // Both workers keep running the schedule meanwhile; give them a few more rounds, then count.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const [booked] = await db.dataSource.query(`SELECT count(*)::int AS n, sum(amount)::text AS total FROM transaction WHERE transaction_id = $1`, [paymentId]);
    expect(booked).toEqual({ n: 1, total: '12.34000' });
    const [balance] = await db.dataSource.query(`SELECT amount::text FROM balance WHERE account_id = $1 AND type = 'InterimAvailable'`, [debtor.account_id]);
    expect(balance.amount).toBe('987.66000');
    await vi.waitFor(async () => {
      const [pending] = await db.dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE relayed_at IS NULL`);
      expect(pending.n).toBe(0);
    }, WAIT);
    const events: Array<{ to: string; n: number }> = await db.dataSource.query(
      `SELECT event->'data'->>'to' AS to, count(*)::int AS n FROM audit_log
        WHERE event_type = 'payment.status-changed' AND consent_id = $1 AND event->'data'->>'paymentId' = $2 GROUP BY 1 ORDER BY 1`,
      [consentId, paymentId],
    );
    expect(events).toEqual([
      { to: 'ACSC', n: 1 },
      { to: 'ACSP', n: 1 },
    ]);
  });

  it('chains every audit event exactly once, its counts match what was done, and the chain verifies', async () => {
    const { dataSource } = platform.db;
    // Both workers relay and chain: wait until nothing is pending (the relay removes what it chained).
    await vi.waitFor(async () => {
      const [pending] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE relayed_at IS NULL`);
      expect(pending.n).toBe(0);
    }, WAIT);
    const [done] = await dataSource.query(
      `SELECT count(*)::int AS created, count(authorised_at)::int AS authorised,
              count(*) FILTER (WHERE status = 'EXPD')::int AS expired, count(*) FILTER (WHERE status = 'CANC')::int AS revoked
         FROM account_access_consent`,
    );
    const counted: Array<{ event_type: string; n: number }> = await dataSource.query(
      `SELECT event_type, count(*)::int AS n FROM audit_log WHERE consent_id IN (SELECT consent_id FROM account_access_consent) GROUP BY event_type`,
    );
    const logged = Object.fromEntries(counted.map((row) => [row.event_type, row.n]));
    expect(done).toEqual({ created: 3, authorised: 3, expired: 1, revoked: 1 });
    expect({ created: logged['consent.created'], authorised: logged['consent.authorised'], expired: logged['consent.expired'], revoked: logged['consent.revoked'] }).toEqual(done);
    // Every sign-in failure of the lockout test, once: five from both api instances.
    const [failures] = await dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'psu.login.failed'`);
    expect(failures.n).toBeGreaterThanOrEqual(6);
    const [dupes] = await dataSource.query(`SELECT count(*)::int AS n FROM (SELECT event_id FROM audit_log GROUP BY event_id HAVING count(*) > 1) d`);
    expect(dupes.n).toBe(0);
    const verification = await verifyAuditChain(dataSource);
    expect(verification.ok).toBe(true);
  });

  // Last: it throttles this machine's address, which every other test signs in from.
  it('throttles the client address across instances: its failures on both add up to LOGIN_IP_MAX_FAILURES', async () => {
    const { instances } = platform;
    const [before] = await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE event_type = 'psu.login.failed'`);
    expect(before.n).toBeGreaterThanOrEqual(5);
    let throttledAt = -1;
    for (let i = 0; i < 12 && throttledAt < 0; i++) {
      const answer = await fetch(`http://localhost:${instances[i % 2]!.api}/customer/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: `spray-${i}`, password: 'wrong-password', otp: '000000' }),
      });
      if (answer.status === 429) throttledAt = i;
      else expect(answer.status).toBe(401);
    }
    // Counted per process, each instance would allow ten of its own; shared, the earlier failures count too.
    expect(throttledAt).toBeGreaterThanOrEqual(0);
    expect(throttledAt).toBeLessThan(10 - 5);
    for (const ports of instances) {
      const answer = await fetch(`http://localhost:${ports.api}/customer/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'spray-after', password: 'wrong-password', otp: '000000' }),
      });
      expect(answer.status).toBe(429);
    }
  });
});
