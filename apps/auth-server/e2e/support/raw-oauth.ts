import { randomUUID } from 'node:crypto';

import { SandboxTppCredentials } from '@consentry/sandbox';
import { base64url, calculateJwkThumbprint, CryptoKey, exportJWK, generateKeyPair, importJWK, JWK, SignJWT } from 'jose';

/** A private_key_jwt client assertion (RFC 7523) of the TPP, with knobs for the refusal tests. */
export async function clientAssertion(
  tpp: Pick<SandboxTppCredentials, 'client_id' | 'jwks'>,
  audience: string,
  options: { expiresIn?: number; issuedAt?: number } = {},
): Promise<string> {
  const jwk = tpp.jwks.keys[0] as JWK;
  const now = options.issuedAt ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: jwk.kid! })
    .setIssuer(tpp.client_id)
    .setSubject(tpp.client_id)
    .setAudience(audience)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 60))
    .sign(await importJWK(jwk, 'ES256'));
}

export interface DPoPKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  thumbprint: string;
}

export async function newDPoPKey(): Promise<DPoPKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) };
}

/** A DPoP proof (RFC 9449 section 4.2) for `htm htu`, with the server's nonce when given. */
export async function dpopProof(key: DPoPKey, htm: string, htu: string, nonce?: string, accessToken?: string): Promise<string> {
  const ath = accessToken ? base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)))) : undefined;
  return new SignJWT({ htm, htu, ...(nonce ? { nonce } : {}), ...(ath ? { ath } : {}) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setJti(randomUUID())
    .setIssuedAt()
    .sign(key.privateKey);
}

export interface OAuthResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** POSTs a form to an OAuth endpoint and reads the JSON answer. */
export async function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<OAuthResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** A current DPoP nonce of the server (RFC 9449 section 8): its answer to a proof without one. */
export async function dpopNonce(issuer: string, tpp: Pick<SandboxTppCredentials, 'client_id' | 'jwks'>): Promise<string> {
  const key = await newDPoPKey();
  const response = await postForm(
    `${issuer}/token`,
    { grant_type: 'client_credentials', scope: 'accounts', ...(await assertionParams(tpp, issuer)) },
    { dpop: await dpopProof(key, 'POST', `${issuer}/token`) },
  );
  const nonce = response.headers.get('dpop-nonce');
  if (response.status !== 400 || response.body.error !== 'use_dpop_nonce' || !nonce) throw new Error(`expected use_dpop_nonce, got ${response.status}`);
  return nonce;
}

/** client_assertion form parameters; the audience is the issuer (FAPI 2.0 5.3.2.1 accepts it). */
export async function assertionParams(tpp: Pick<SandboxTppCredentials, 'client_id' | 'jwks'>, issuer: string, options?: { expiresIn?: number; issuedAt?: number }): Promise<Record<string, string>> {
  return {
    client_id: tpp.client_id,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await clientAssertion(tpp, issuer, options),
  };
}
