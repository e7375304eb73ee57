import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { totpCodeAt } from '@consentry/identity';
import { SandboxPsuCredentials } from '@consentry/sandbox';

import { authorizeAsPsu, freshTotpCode, parseForms, PsuAgent, TppClient } from '../../../../scripts/journey.js';
import { ALL_READ_PERMISSIONS, AttackPlatform, authorisedConsent, clientCredentials, expectNothingWritten, secretsInLogs, send, startAttackPlatform } from '../support/attack-platform.js';

type PushedRequest = Awaited<ReturnType<TppClient['pushAuthorizationRequest']>>;
type Form = ReturnType<typeof parseForms>[number];

const LOGIN_FAILED = 'The username, password or one-time code is not correct.';

/** A journey stopped on the auth server's sign-in page, as the PSU's browser holds it. */
interface OpenJourney {
  agent: PsuAgent;
  request: PushedRequest;
  consentId: string;
  uid: string;
  url: string;
  loginForm: Form;
}

/**
 * PSD2 RTS Art. 4 (strong customer authentication): two independent elements, a failed element that
 * does not say which one failed, a one-time code that cannot be used twice, an inactivity limit of at
 * most five minutes, and nothing to approve before the PSU has authenticated. Art. 10a: only the
 * consent's own PSU re-confirms it.
 */
describe('PSD2 RTS Art. 4 strong customer authentication of the PSU', () => {
  let platform: AttackPlatform;
  let origin: string;
  let alice: SandboxPsuCredentials;
  let bob: SandboxPsuCredentials;
  let carol: SandboxPsuCredentials;

  beforeAll(async () => {
    platform = await startAttackPlatform('psd2_sca');
    origin = new URL(platform.env.AUTH_SERVER_URL!).origin;
    [alice, bob, carol] = platform.sandbox.psus as [SandboxPsuCredentials, SandboxPsuCredentials, SandboxPsuCredentials];
  });

  afterAll(async () => platform?.stop());

  async function newConsent(): Promise<string> {
    const token = await clientCredentials(platform, platform.tpp);
    const created = await platform.tpp.createConsent(token, ALL_READ_PERMISSIONS, new Date(Date.now() + 86_400_000).toISOString());
    expect(created.status).toBe(201);
    return created.body.Data.ConsentId as string;
  }

  async function consentStatus(consentId: string): Promise<string> {
    const rows: Array<{ status: string }> = await platform.db.dataSource.query(`SELECT status FROM account_access_consent WHERE consent_id = $1`, [consentId]);
    return rows[0]!.status;
  }

  function formWith(page: string, field: string): Form {
    const form = parseForms(page).find((f) => f.inputs.some((i) => i.name === field));
    if (!form) throw new Error(`no form with ${field} on the page:\n${page.slice(0, 1500)}`);
    return form;
  }

  async function openJourney(agent = new PsuAgent(), consentId?: string): Promise<OpenJourney> {
    const id = consentId ?? (await newConsent());
    const request = await platform.tpp.pushAuthorizationRequest(id);
    const step = await agent.follow(request.url.toString(), origin);
    expect(step.page).toBeDefined();
    return { agent, request, consentId: id, uid: new URL(step.url!).pathname.split('/').pop()!, url: step.url!, loginForm: formWith(step.page!, 'password') };
  }

  function signIn(journey: OpenJourney, values: { username: string; password: string; otp: string; csrf?: string }) {
    return journey.agent.submit(journey.loginForm, journey.url, values, origin);
  }

  /** A valid code of the PSU's authenticator now, without taking it from the journey helper's supply. */
  function currentCode(psu: SandboxPsuCredentials): Promise<string> {
    return totpCodeAt(psu.totpSecret, new Date());
  }

  /** The sign-in page again, with the message that does not say which element failed. */
  function expectLoginRefused(step: { page?: string; redirect?: URL; response: Response }): void {
    expect(step.redirect).toBeUndefined();
    expect(step.response.status).toBe(200);
    expect(step.page).toContain(LOGIN_FAILED);
    expect(parseForms(step.page!).some((f) => f.inputs.some((i) => i.name === 'password'))).toBe(true);
  }

  // A failed sign-in is meant to write: the throttle's counters (login_throttle, and the PSU row's copy),
  // psu.login.failed (RTS Art. 4(3)(b)) and its row for the payment-risk rules (psu_sign_in_failure).
  const FAILED_SIGN_IN = { audit: ['psu.login.failed'], ignoreTables: ['psu', 'login_throttle', 'psu_sign_in_failure'], ignoreModels: ['Interaction'] };

  it('refuses a wrong password with a valid one-time code, without saying which element failed', async () => {
    const journey = await openJourney();
    const step = await expectNothingWritten(platform, async () => signIn(journey, { username: alice.username, password: `${alice.password}x`, otp: await currentCode(alice) }), FAILED_SIGN_IN);
    expectLoginRefused(step);
    expect(await consentStatus(journey.consentId)).toBe('AWAU');
  });

  it('refuses a wrong one-time code with the right password', async () => {
    const journey = await openJourney();
    const wrong = await totpCodeAt(bob.totpSecret, new Date(Date.now() + 10 * 60_000));
    const step = await expectNothingWritten(platform, () => signIn(journey, { username: bob.username, password: bob.password, otp: wrong }), FAILED_SIGN_IN);
    expectLoginRefused(step);
  });

  it('refuses a one-time code already used for a sign-in (single use per step)', async () => {
    let used = '';
    const first = await platform.tpp.pushAuthorizationRequest(await newConsent());
    const done = await authorizeAsPsu({
      authorizationUrl: first.url,
      issuer: platform.env.AUTH_SERVER_URL!,
      psu: carol,
      otp: async () => (used = await freshTotpCode(carol.totpSecret)),
      accountIds: [carol.accounts[0]!.accountId],
    });
    expect(done.redirect?.searchParams.get('code')).toEqual(expect.any(String));
    const journey = await openJourney();
    const step = await expectNothingWritten(platform, () => signIn(journey, { username: carol.username, password: carol.password, otp: used }), FAILED_SIGN_IN);
    expectLoginRefused(step);
  });

  it('refuses a sign-in form posted without the page’s CSRF token, or with another journey’s (A1 web attacker)', async () => {
    const journey = await openJourney();
    const other = await openJourney();
    const otherCsrf = other.loginForm.fields.find(([name]) => name === 'csrf')![1];
    await expectNothingWritten(platform, async () => {
      for (const csrf of ['', otherCsrf]) {
        const step = await signIn(journey, { username: alice.username, password: alice.password, otp: await currentCode(alice), csrf });
        expect(step.response.status).toBe(403);
        expect(step.page).toContain('This form is no longer valid. Go back, reload the page and try again.');
      }
    });
  });

  it('does not show the consent page before sign-in, and refuses an approval posted before it', async () => {
    const journey = await openJourney();
    const page = await expectNothingWritten(platform, () => journey.agent.follow(`${origin}/interaction/${journey.uid}`, origin), { ignoreModels: ['Interaction'] });
    expect(page.response.status).toBe(200);
    expect(parseForms(page.page!).some((f) => f.checkboxes.some((c) => c.name === 'accountIds'))).toBe(false);
    expect(parseForms(page.page!).some((f) => f.inputs.some((i) => i.name === 'password'))).toBe(true);

    const csrf = journey.loginForm.fields.find(([name]) => name === 'csrf')![1];
    const approval = await expectNothingWritten(
      platform,
      () =>
        journey.agent.request(`${origin}/interaction/${journey.uid}/confirm`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams([['csrf', csrf], ['accountIds', alice.accounts[0]!.accountId]]).toString(),
        }),
      { ignoreModels: ['Interaction'] },
    );
    expect(approval.status).toBe(303);
    expect(approval.headers.get('location')).toBe(`/interaction/${journey.uid}`);
    expect(await consentStatus(journey.consentId)).toBe('AWAU');
  });

  it('refuses an interaction opened in a browser that did not start it (no interaction cookie)', async () => {
    const journey = await openJourney();
    const result = await expectNothingWritten(platform, () => send(`${origin}/interaction/${journey.uid}`));
    expect(result.status).toBe(400);
    expect(result.text).toContain('This sign-in has expired or was already completed.');
  });

  it("refuses approval of another PSU's account through a tampered accountIds field", async () => {
    const journey = await openJourney();
    const signedIn = await signIn(journey, { username: alice.username, password: alice.password, otp: await freshTotpCode(alice.totpSecret) });
    const approveForm = formWith(signedIn.page!, 'accountIds');
    const foreign = bob.accounts[0]!.accountId;
    for (const accountIds of [[foreign], [alice.accounts[0]!.accountId, foreign]]) {
      // The grant saved for the approval is removed again when the consent refuses the accounts.
      const step = await expectNothingWritten(platform, () => journey.agent.submit(approveForm, signedIn.url!, { accountIds }, origin), { ignoreModels: ['Interaction'] });
      expect(step.response.status).toBe(400);
      expect(step.page).toContain('Choose accounts from the list below.');
    }
    expect(await consentStatus(journey.consentId)).toBe('AWAU');
  });

  it('ends a journey idle for more than five minutes at the TPP with login_required (Art. 4(3)(d))', async () => {
    const journey = await openJourney();
    // The last activity is stored as exp - 3600 (interaction-activity.ts): make it 301 s ago.
    await platform.db.dataSource.query(
      `UPDATE oidc_model SET payload = jsonb_set(payload, '{exp}', to_jsonb(floor(extract(epoch FROM now()))::bigint + 3600 - 301)) WHERE model = 'Interaction' AND id = $1`,
      [journey.uid],
    );
    const step = await expectNothingWritten(platform, async () => signIn(journey, { username: alice.username, password: alice.password, otp: await currentCode(alice) }), { ignoreModels: ['Interaction'] });
    expect(step.redirect).toBeDefined();
    expect(step.redirect!.origin + step.redirect!.pathname).toBe(platform.sandbox.tpp.redirect_uris[0]);
    expect(Object.fromEntries(step.redirect!.searchParams)).toEqual({
      error: 'login_required',
      error_description: 'the authorization timed out: the PSU was inactive too long',
      state: journey.request.state,
      iss: platform.env.AUTH_SERVER_URL!,
    });
    expect(await consentStatus(journey.consentId)).toBe('AWAU');
  });

  it('asks for SCA again on the next authorization in the same browser: an earlier session skips nothing', async () => {
    const agent = new PsuAgent();
    const first = await openJourney(agent);
    const signedIn = await signIn(first, { username: bob.username, password: bob.password, otp: await freshTotpCode(bob.totpSecret) });
    const approved = await agent.submit(formWith(signedIn.page!, 'accountIds'), signedIn.url!, { accountIds: [bob.accounts[0]!.accountId] }, origin);
    expect(approved.redirect?.searchParams.get('code')).toEqual(expect.any(String));

    const consentId = await newConsent();
    const request = await platform.tpp.pushAuthorizationRequest(consentId);
    const step = await expectNothingWritten(platform, () => agent.follow(request.url.toString(), origin), { ignoreModels: ['Interaction', 'Session'] });
    expect(step.response.status).toBe(200);
    expect(parseForms(step.page!).some((f) => f.inputs.some((i) => i.name === 'password') && f.inputs.some((i) => i.name === 'otp'))).toBe(true);
    expect(parseForms(step.page!).some((f) => f.checkboxes.some((c) => c.name === 'accountIds'))).toBe(false);
  });

  it("ends a re-authentication signed in by another PSU with access_denied, the consent untouched (Art. 10a)", async () => {
    const consent = await authorisedConsent(platform, platform.tpp, { psu: alice });
    // UK: the PSU re-confirms every 90 days; 100 days after authorisation the consent is due.
    await platform.db.dataSource.query(`UPDATE account_access_consent SET jurisdiction = 'UK', authorised_at = now() - interval '100 days' WHERE consent_id = $1`, [consent.consentId]);
    const journey = await openJourney(new PsuAgent(), consent.consentId);
    const otp = await freshTotpCode(bob.totpSecret);
    // Bob's sign-in itself succeeds (and is recorded); what follows must write nothing.
    const step = await expectNothingWritten(platform, () => signIn(journey, { username: bob.username, password: bob.password, otp }), {
      audit: ['psu.login.succeeded'],
      ignoreTables: ['psu', 'login_throttle'],
      ignoreModels: ['Interaction', 'Session'],
    });
    expect(Object.fromEntries(step.redirect!.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the signed-in PSU cannot re-confirm this consent',
      state: journey.request.state,
      iss: platform.env.AUTH_SERVER_URL!,
    });
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
