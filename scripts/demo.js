// `npm run demo`: walks one consent journey against a running platform (`npm start` in another
// terminal) and prints each step as the TPP, the PSU and the bank's admin see it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { authorizeAsPsu, freshTotpCode, LoginRejectedError, TppClient } from './journey.js';
import { platformEnv } from './platform.js';

const env = platformEnv({ ...process.env });
const dataDir = env.CONSENTRY_DATA_DIR ?? '.data';
const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
let stepNo = 0;
const step = (title) => console.log(`\n${bold(`${++stepNo}. ${title}`)}`);
const show = (label, value) => console.log(`   ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);

async function readJson(name) {
  try {
    return JSON.parse(await readFile(join(dataDir, 'sandbox', name), 'utf8'));
  } catch {
    throw new Error(`cannot read ${dataDir}/sandbox/${name}: start the platform first with \`npm start\``);
  }
}

async function session(path, credentials) {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${env.API_URL}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: credentials.username, password: credentials.password, otp: await freshTotpCode(credentials.totpSecret) }),
    });
    if (response.status === 201) return (await response.json()).accessToken;
    // A TOTP code works once: an earlier run may have just used this one.
    if (response.status !== 401 || attempt >= 3) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  }
}

/** Refuses early, naming the URLs, when the platform does not answer (a bare "fetch failed" until 7 December 2026). */
async function assertPlatformAnswers() {
  for (const [name, url] of [
    ['the API', `${env.API_URL}/health/live`],
    ['the authorization server', `${env.AUTH_SERVER_URL}/.well-known/openid-configuration`],
  ]) {
    const reached = await fetch(url).then(
      () => true,
      () => false,
    );
    if (!reached) throw new Error(`nothing answers at ${url} (${name}): start the platform first with \`npm start\`, with the same API_PORT, AUTH_SERVER_PORT or URLs as this run`);
  }
}

async function main() {
  await assertPlatformAnswers();
  const [tppCredentials, psus, admin] = await Promise.all([readJson('tpp.json'), readJson('psus.json'), readJson('admin.json')]);
  const psu = psus[0];
  const tpp = await TppClient.create({ issuer: env.AUTH_SERVER_URL, apiUrl: env.API_URL, tpp: tppCredentials });

  step(`The TPP "${tppCredentials.client_name}" gets a client-credentials token (private_key_jwt, DPoP)`);
  const cc = await tpp.clientCredentialsToken();
  show('token type', `${cc.token_type}, expires in ${cc.expires_in} s`);

  step('The TPP asks for an account-access consent');
  const expiry = new Date(Date.now() + 90 * 24 * 3600 * 1000).toISOString();
  const created = await tpp.createConsent(cc.access_token, ['ReadAccountsDetail', 'ReadBalances', 'ReadTransactionsDetail', 'ReadTransactionsCredits', 'ReadTransactionsDebits'], expiry);
  if (created.status !== 201) throw new Error(`consent creation answered ${created.status}: ${JSON.stringify(created.body)}`);
  const consentId = created.body.Data.ConsentId;
  show('POST /account-access-consents', `${created.status}, ConsentId ${consentId}, Status ${created.body.Data.Status}`);

  step('The TPP pushes an authorization request (PAR, PKCE S256) naming the consent');
  const request = await tpp.pushAuthorizationRequest(consentId);
  show('the PSU is sent to', request.url.toString());

  const chosen = psu.accounts.slice(0, 2);
  step(`${psu.displayName} logs in with password and TOTP, and approves ${chosen.length} of ${psu.accounts.length} accounts`);
  let outcome;
  // A TOTP code works once: if an earlier run just used this one, take the next code, as a person would.
  for (let attempt = 1; !outcome; attempt++) {
    try {
      outcome = await authorizeAsPsu({
        authorizationUrl: attempt === 1 ? request.url : (await tpp.pushAuthorizationRequest(consentId).then((r) => Object.assign(request, r))).url,
        issuer: env.AUTH_SERVER_URL,
        psu,
        otp: () => freshTotpCode(psu.totpSecret),
        accountIds: chosen.map((a) => a.accountId),
      });
    } catch (error) {
      if (!(error instanceof LoginRejectedError) || attempt >= 3) throw error;
      show('login refused', `${error.message}; trying the next TOTP code`);
    }
  }
  if (!outcome.redirect) throw new Error('the PSU was not sent back to the TPP');
  show('approved accounts', chosen.map((a) => `${a.nickname} (${a.aspspId})`).join(', '));
  show('back at the TPP', `${outcome.redirect.origin}${outcome.redirect.pathname}?code=…&state=…&iss=${outcome.redirect.searchParams.get('iss')}`);

  step('The TPP exchanges the code for DPoP-bound tokens');
  const tokens = await tpp.exchangeCode(outcome.redirect, request);
  const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
  show('access token', `aud ${claims.aud}, openbanking_intent_id ${claims.openbanking_intent_id}, bound to DPoP key ${claims.cnf?.jkt}`);
  show('refresh token', tokens.refresh_token ? 'issued' : 'none');

  step('The TPP reads the accounts the consent covers');
  const accounts = await tpp.api(tokens.access_token, 'GET', '/open-banking/v4.0/aisp/accounts');
  show('GET /accounts', `${accounts.status}, ${accounts.body.Data.Account.length} accounts`);
  for (const account of accounts.body.Data.Account) {
    show(`  ${account.AccountId}`, `${account.Nickname ?? ''} ${account.Currency} ${account.Account?.[0]?.SchemeName ?? ''} ${account.Account?.[0]?.Identification ?? ''}`);
  }
  const other = psu.accounts[2];
  if (other) {
    const refused = await tpp.api(tokens.access_token, 'GET', `/open-banking/v4.0/aisp/accounts/${other.accountId}`);
    show('GET an account the PSU did not pick', `${refused.status} ${refused.body?.Errors?.[0]?.ErrorCode ?? ''}`);
  }

  step(`${psu.displayName} revokes the consent from the customer dashboard API`);
  const customerToken = await session('/customer/sessions', psu);
  const revoke = await fetch(`${env.API_URL}/customer/consents/${consentId}`, { method: 'DELETE', headers: { authorization: `Bearer ${customerToken}` } });
  show('DELETE /customer/consents/{id}', revoke.status);
  const after = await tpp.api(tokens.access_token, 'GET', '/open-banking/v4.0/aisp/accounts');
  show('the TPP tries again', `${after.status} ${after.body?.Errors?.[0]?.ErrorCode ?? after.body?.Code ?? ''}`);

  step("The bank's admin reads the audit trail of this consent");
  const adminToken = await session('/admin/sessions', admin);
  let events = [];
  for (let i = 0; i < 30; i++) {
    const response = await fetch(`${env.API_URL}/admin/audit-events?consentId=${consentId}`, { headers: { authorization: `Bearer ${adminToken}` } });
    events = (await response.json()).events ?? [];
    if (events.some((e) => e.type === 'consent.revoked')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const event of events) show(`  #${event.seq}`, `${event.occurredAt} ${event.type.padEnd(18)} by ${event.event.actor.type} ${event.event.actor.id}`);
  console.log('\nDone.');
}

main().catch((error) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
