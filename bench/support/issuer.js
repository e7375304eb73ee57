// The benches' stand-in for the authorization server (servers' side) and their DPoP proofs (run.js side):
// a local PS256 issuer serving discovery and its JWKS on loopback, and ES256 proofs.
import { createHash, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

import { exportJWK, generateKeyPair } from 'jose';

/** Starts the issuer; resolves to its URL, its JWKS, its PS256 private key (kid bench-1) and a close function. */
export async function startLocalIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('PS256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'PS256', use: 'sig' }] };
  let issuer = '';
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    if (request.url === '/jwks') return response.end(JSON.stringify(jwks));
    response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token`, dpop_signing_alg_values_supported: ['PS256', 'ES256'] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
  return { url: issuer, jwks, privateKey, close: () => server.close() };
}

/**
 * A DPoP prover for a private ES256 JWK: `proof(htm, htu, token)` makes a fresh proof (new jti, iat now),
 * synchronously with node:crypto (about a tenth of a millisecond), so a load generator can make each
 * proof as its request leaves: a proof made ahead of a slow run would age past the API's 60 s window.
 */
export function dpopProver(privateJwk) {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const publicJwk = { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y };
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: publicJwk })).toString('base64url');
  const aths = new Map();
  return (htm, htu, token) => {
    let ath = aths.get(token);
    if (!ath) aths.set(token, (ath = createHash('sha256').update(token).digest('base64url')));
    const payload = Buffer.from(JSON.stringify({ htm, htu, ath, jti: randomUUID(), iat: Math.floor(Date.now() / 1000) })).toString('base64url');
    const input = `${header}.${payload}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
}
