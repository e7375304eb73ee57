import * as client from 'openid-client';
import { CryptoKey, importJWK, JWK } from 'jose';

import { SandboxTppCredentials } from '@consentry/sandbox';

/** The sandbox TPP as an openid-client 6 relying party: private_key_jwt (ES256), DPoP, PAR, PKCE. */
export async function tppConfiguration(issuer: string, tpp: SandboxTppCredentials): Promise<client.Configuration> {
  const jwk = tpp.jwks.keys[0] as JWK;
  const key = (await importJWK(jwk, 'ES256')) as CryptoKey;
  return client.discovery(
    new URL(issuer),
    tpp.client_id,
    { id_token_signed_response_alg: 'PS256', token_endpoint_auth_signing_alg: 'ES256' },
    client.PrivateKeyJwt({ key, kid: jwk.kid }),
    { execute: [client.allowInsecureRequests] },
  );
}

export async function newDPoPHandle(config: client.Configuration): Promise<client.DPoPHandle> {
  return client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
}

/** The claims parameter naming the consent, in both members (UK OB style). */
export function intentClaims(consentId: string): string {
  const member = { openbanking_intent_id: { value: consentId, essential: true } };
  return JSON.stringify({ id_token: member, userinfo: member });
}

export interface PushedAuthorization {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function pushAuthorization(
  config: client.Configuration,
  dpop: client.DPoPHandle,
  redirectUri: string,
  consentId: string,
  scope = 'openid accounts',
): Promise<PushedAuthorization> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(
    config,
    {
      redirect_uri: redirectUri,
      scope,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      claims: intentClaims(consentId),
    },
    { DPoP: dpop },
  );
  return { url, state, nonce, codeVerifier };
}
