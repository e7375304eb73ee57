// The consent journey as its three actors play it: the TPP (openid-client, private_key_jwt, PAR, PKCE,
// DPoP), the PSU (a browser-less user filling the auth server's HTML forms) and the TPP calling the API.
// Shared by `npm run demo` and the end-to-end journey test, so both walk exactly the same path.
import { randomUUID } from 'node:crypto';

import { totpCodeAt } from '@consentry/identity';
import { signMessage } from '@consentry/message-signing';
import { importJWK } from 'jose';
import * as oidc from 'openid-client';

const TOTP_STEP_MS = 30_000;
const usedTotpSteps = new Map();

/**
 * The PSU's authenticator app: a TOTP code not used before for this secret. Codes are single-use, so a
 * second login within the same 30 s takes the next step's code (accepted within one step of clock
 * drift) or waits for the next window.
 */
export async function freshTotpCode(secret) {
  for (;;) {
    const now = Math.floor(Date.now() / TOTP_STEP_MS);
    const step = Math.max(now, (usedTotpSteps.get(secret) ?? -1) + 1);
    if (step <= now + 1) {
      usedTotpSteps.set(secret, step);
      return totpCodeAt(secret, new Date(step * TOTP_STEP_MS + 1000));
    }
    await new Promise((r) => setTimeout(r, (now + 1) * TOTP_STEP_MS - Date.now() + 50));
  }
}

/** A cookie jar and form filler: what a browser does for the PSU, over plain HTTP. */
export class PsuAgent {
  cookies = new Map();

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(cookie) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /** Follows redirects until a page (2xx) or a redirect leaving `origin` (the TPP's redirect_uri). */
  async follow(url, origin, init) {
    let response = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10 && response.status >= 300 && response.status < 400; hops++) {
      const next = new URL(response.headers.get('location'), current);
      if (next.origin !== origin) return { redirect: next, response };
      current = next.toString();
      response = await this.request(current);
    }
    return { page: await response.text(), url: current, response };
  }

  async submit(form, pageUrl, values, origin) {
    const body = new URLSearchParams();
    for (const [name, value] of form.fields) body.append(name, value);
    for (const [name, value] of Object.entries(values)) {
      body.delete(name);
      for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    }
    const action = new URL(form.action || pageUrl, pageUrl).toString();
    return this.follow(action, origin, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    });
  }
}

function decode(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function attr(tag, name) {
  const match = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return match ? decode(match[2] ?? match[3] ?? '') : undefined;
}

/** The forms of a page: action, hidden fields, checkboxes, radio buttons and submit buttons. */
export function parseForms(html) {
  const forms = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, formAttrs, inner] = match;
    const fields = [];
    const checkboxes = [];
    const radios = [];
    const buttons = [];
    const inputs = [];
    for (const input of inner.matchAll(/<(input|button)\b[^>]*>/gi)) {
      const tag = input[0];
      const type = (attr(tag, 'type') ?? (input[1].toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase();
      const name = attr(tag, 'name');
      const value = attr(tag, 'value') ?? '';
      inputs.push({ type, name, value });
      if (type === 'hidden' && name) fields.push([name, value]);
      if (type === 'checkbox' && name) checkboxes.push({ name, value, checked: /\schecked\b/i.test(tag) });
      if (type === 'radio' && name) radios.push({ name, value, checked: /\schecked\b/i.test(tag) });
      if (type === 'submit') buttons.push({ name, value, text: tag });
    }
    forms.push({ action: attr(`<form${formAttrs}>`, 'action'), method: (attr(`<form${formAttrs}>`, 'method') ?? 'get').toLowerCase(), fields, checkboxes, radios, buttons, inputs, html: inner });
  }
  return forms;
}

/** The TPP: a confidential client with private_key_jwt, DPoP-bound tokens, PAR and PKCE. */
export class TppClient {
  static async create({ issuer, apiUrl, tpp }) {
    const jwk = tpp.jwks.keys[0];
    const privateKey = await importJWK(jwk, jwk.alg);
    const config = await oidc.discovery(
      new URL(issuer),
      tpp.client_id,
      { redirect_uris: tpp.redirect_uris, token_endpoint_auth_method: 'private_key_jwt' },
      oidc.PrivateKeyJwt({ key: privateKey, kid: jwk.kid }),
      { execute: issuer.startsWith('http://') ? [oidc.allowInsecureRequests] : [] },
    );
    const dpopKey = await oidc.randomDPoPKeyPair('ES256');
    return new TppClient(config, apiUrl, tpp, oidc.getDPoPHandle(config, dpopKey));
  }

  constructor(config, apiUrl, tpp, dpop) {
    this.config = config;
    this.apiUrl = apiUrl;
    this.tpp = tpp;
    this.dpop = dpop;
  }

  /** A client-credentials token for the TPP's own calls (creating consents). */
  async clientCredentialsToken(scope = 'accounts') {
    return oidc.clientCredentialsGrant(this.config, { scope, resource: this.apiUrl }, { DPoP: this.dpop });
  }

  /** Calls the API with a DPoP-bound token (a fresh proof for each request). */
  async api(accessToken, method, path, body, extraHeaders = {}) {
    const headers = new Headers({ accept: 'application/json', 'x-fapi-customer-ip-address': '203.0.113.7', ...extraHeaders });
    if (body !== undefined) headers.set('content-type', 'application/json');
    const response = await oidc.fetchProtectedResource(
      this.config,
      accessToken,
      new URL(`${this.apiUrl}${path}`),
      method,
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers,
      { DPoP: this.dpop },
    );
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * A PIS or VRP POST: the body's exact bytes signed with the TPP's message-signing key (UK OB detached
   * JWS, x-jws-signature) and an x-idempotency-key (a fresh one unless given; `false` sends none, as VRP
   * /funds-confirmation wants).
   */
  async signedPost(accessToken, path, body, { idempotencyKey = randomUUID() } = {}) {
    const text = JSON.stringify(body);
    const jwk = this.tpp.jwks.keys.find((key) => key.kid === this.tpp.signing.kid);
    if (!jwk) throw new Error(`the TPP's key set holds no message-signing key ${this.tpp.signing.kid}`);
    this.signingKey ??= await importJWK(jwk, 'PS256');
    const signature = await signMessage(text, { ...this.tpp.signing, key: this.signingKey });
    return this.api(accessToken, 'POST', path, text, { 'x-jws-signature': signature, ...(idempotencyKey === false ? {} : { 'x-idempotency-key': idempotencyKey }) });
  }

  async createConsent(accessToken, permissions, expirationDateTime) {
    return this.api(accessToken, 'POST', '/open-banking/v4.0/aisp/account-access-consents', {
      Data: { Permissions: permissions, ...(expirationDateTime ? { ExpirationDateTime: expirationDateTime } : {}) },
      Risk: {},
    });
  }

  /** Pushes the authorization request (PAR) naming the consent in the `claims` parameter; `scope` 'openid payments' for a payment consent. */
  async pushAuthorizationRequest(consentId, scope = 'openid accounts') {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const intent = { openbanking_intent_id: { value: consentId, essential: true } };
    const url = await oidc.buildAuthorizationUrlWithPAR(
      this.config,
      {
        redirect_uri: this.tpp.redirect_uris[0],
        scope,
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        resource: this.apiUrl,
        claims: JSON.stringify({ id_token: intent, userinfo: intent }),
      },
      { DPoP: this.dpop },
    );
    return { url, codeVerifier, state, nonce };
  }

  /** Exchanges the code the PSU's redirect carried for DPoP-bound tokens. */
  async exchangeCode(redirect, request) {
    return oidc.authorizationCodeGrant(
      this.config,
      redirect,
      { pkceCodeVerifier: request.codeVerifier, expectedState: request.state, expectedNonce: request.nonce, idTokenExpected: true },
      { resource: this.apiUrl },
      { DPoP: this.dpop },
    );
  }

  /** A new access token from a refresh token (AIS and VRP grants have them), DPoP-bound as the first. */
  async refresh(refreshToken) {
    return oidc.refreshTokenGrant(this.config, refreshToken, { resource: this.apiUrl }, { DPoP: this.dpop });
  }
}

/** The auth server showed the login form again: wrong credentials, a reused TOTP code, or a lockout. */
export class LoginRejectedError extends Error {
  constructor(page) {
    const message = /<p[^>]*role="alert"[^>]*>([\s\S]*?)<\/p>/i.exec(page)?.[1]?.replace(/<[^>]+>/g, '').trim();
    super(`the PSU's login was refused${message ? `: ${message}` : ''}`);
    this.name = 'LoginRejectedError';
  }
}

/**
 * The PSU's side: log in with password and TOTP, then approve (or deny). On an account-access consent's
 * page `accountIds` are the accounts ticked; on a payment's page (one radio button per account) the
 * first of them is the account to pay from.
 */
export async function authorizeAsPsu({ authorizationUrl, issuer, psu, otp, accountIds, deny = false }) {
  const agent = new PsuAgent();
  const origin = new URL(issuer).origin;
  let step = await agent.follow(authorizationUrl.toString(), origin);
  if (step.redirect) return { redirect: step.redirect, agent };
  const loginPage = step.page;
  const loginForm = parseForms(step.page).find((f) => f.inputs.some((i) => i.name === 'password'));
  if (!loginForm) throw new Error('no login form on the authorization page');
  const needsOtp = loginForm.inputs.some((i) => i.name === 'otp');
  step = await agent.submit(loginForm, step.url, { username: psu.username, password: psu.password, ...(needsOtp ? { otp: await otp() } : {}) }, origin);
  if (step.redirect) return { redirect: step.redirect, agent, loginPage };
  // A two-step login asks for the one-time code on its own page.
  const otpForm = parseForms(step.page).find((f) => f.inputs.some((i) => i.name === 'otp'));
  if (otpForm && !otpForm.inputs.some((i) => i.name === 'password')) {
    step = await agent.submit(otpForm, step.url, { otp: await otp() }, origin);
    if (step.redirect) return { redirect: step.redirect, agent, loginPage };
  }
  if (parseForms(step.page).some((f) => f.inputs.some((i) => i.name === 'password'))) {
    throw new LoginRejectedError(step.page);
  }
  const consentPage = step.page;
  const forms = parseForms(consentPage);
  if (deny) {
    const denyForm = forms.find((f) => /abort|deny|reject/i.test(f.action ?? '') || f.buttons.some((b) => /deny/i.test(b.text)));
    if (!denyForm) throw new Error('no deny action on the consent page');
    const denyButton = denyForm.buttons.find((b) => /deny/i.test(b.text) && b.name);
    step = await agent.submit(denyForm, step.url, denyButton ? { [denyButton.name]: denyButton.value } : {}, origin);
    return { redirect: step.redirect, page: step.page, consentPage, loginPage, agent };
  }
  const approveForm = forms.find((f) => [...f.checkboxes, ...f.radios].some((c) => c.name === 'accountIds'));
  if (!approveForm) throw new Error(`no consent form with account checkboxes or radio buttons:\n${consentPage.slice(0, 2000)}`);
  const chooseOne = approveForm.radios.some((r) => r.name === 'accountIds');
  if (chooseOne && !approveForm.radios.some((r) => r.name === 'accountIds' && r.value === accountIds[0])) {
    throw new Error(`the payment page does not offer account ${accountIds[0]} to pay from`);
  }
  const approveButton = approveForm.buttons.find((b) => /approve|allow|confirm/i.test(b.text) && b.name);
  step = await agent.submit(
    approveForm,
    step.url,
    { accountIds: chooseOne ? accountIds[0] : accountIds, ...(approveButton ? { [approveButton.name]: approveButton.value } : {}) },
    origin,
  );
  return { redirect: step.redirect, page: step.page, consentPage, loginPage, agent };
}
