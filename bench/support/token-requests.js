// Token-endpoint requests as a TPP makes them: client_credentials + private_key_jwt (ES256) + a DPoP
// proof with the server's nonce. Each assertion and proof is single-use, so every request of a timed
// window is prepared before it (bench/token-endpoint, bench/scale).
import { randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';

/** A preparer for `tpp` (its client_id and private ES256 `jwks`): `prepare(issuer, count)` resolves to `count` { body, headers }. */
export async function tokenRequestPreparer(tpp) {
  const tppKey = await importJWK(tpp.jwks.keys[0], 'ES256');
  const dpop = await generateKeyPair('ES256');
  const dpopJwk = await exportJWK(dpop.publicKey);
  await calculateJwkThumbprint(dpopJwk);

  async function assertion(issuer) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: tpp.jwks.keys[0].kid })
      .setIssuer(tpp.client_id).setSubject(tpp.client_id).setAudience(issuer)
      .setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 120)
      .sign(tppKey);
  }

  async function proof(htu, nonce) {
    return new SignJWT({ htm: 'POST', htu, ...(nonce ? { nonce } : {}) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk })
      .setJti(randomUUID()).setIssuedAt()
      .sign(dpop.privateKey);
  }

  async function body(issuer) {
    return new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'accounts',
      client_id: tpp.client_id,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await assertion(issuer),
    }).toString();
  }

  async function nonceOf(issuer) {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(`${issuer}/token`) },
      body: await body(issuer),
    });
    const nonce = response.headers.get('dpop-nonce');
    if (!nonce) throw new Error(`${issuer}: no DPoP nonce (${response.status})`);
    return nonce;
  }

  return {
    async prepare(issuer, count) {
      const nonce = await nonceOf(issuer);
      const prepared = [];
      for (let i = 0; i < count; i++) {
        prepared.push({ body: await body(issuer), headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: await proof(`${issuer}/token`, nonce) } });
      }
      return prepared;
    },
  };
}
