// `npm run bench jws-verifier`: the API's hand-written token + DPoP proof verifier (apps/api/dist, after a
// build) against jose doing the same checks with the same caching (issuer keys imported once per JWKS,
// proof keys once per thumbprint): the whole verify of one token and its proof, in ops/s, one at a time and
// with 32 in flight (the thread pool is shared, as on the request path). Not run by CI.
import 'reflect-metadata';

import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';

import { AccessTokenVerifier } from '../../apps/api/dist/security/access-token.verifier.js';
import { jwkAlgorithm } from '../../apps/api/dist/security/compact-jws.js';
import { PublicUrl } from '../../apps/api/dist/http/public-url.js';

const API = 'https://api.bench.example';
const PATH = '/open-banking/v4.0/aisp/accounts';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const issuerPair = await generateKeyPair('PS256', { extractable: true });
const issuerJwk = { ...(await exportJWK(issuerPair.publicKey)), kid: 'k1', alg: 'PS256', use: 'sig' };
const dpopPair = await generateKeyPair('ES256', { extractable: true });
const dpopJwk = await exportJWK(dpopPair.publicKey);
const jkt = await calculateJwkThumbprint(dpopJwk);

let issuerUrl = '';
const server = createServer((request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  if (request.url === '/jwks') return response.end(JSON.stringify({ keys: [issuerJwk] }));
  response.end(JSON.stringify({ issuer: issuerUrl, jwks_uri: `${issuerUrl}/jwks`, dpop_signing_alg_values_supported: ['PS256', 'ES256'] }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
issuerUrl = `http://127.0.0.1:${server.address().port}`;

const now = Math.floor(Date.now() / 1000);
const token = await new SignJWT({ client_id: 'tpp', scope: 'accounts', cnf: { jkt }, openbanking_intent_id: 'aac-1' })
  .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: 'k1' })
  .setIssuer(issuerUrl).setAudience(API).setSubject('psu').setJti(randomUUID()).setIssuedAt(now).setExpirationTime(now + 3600)
  .sign(issuerPair.privateKey);
const ath = createHash('sha256').update(token).digest('base64url');
const proof = await new SignJWT({ htm: 'GET', htu: `${API}${PATH}`, ath })
  .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopJwk }).setJti(randomUUID()).setIssuedAt(now + 2)
  .sign(dpopPair.privateKey);
// What the verifier reads of a Fastify request: the method, the URL, the headers, and the raw header lines
// (request.raw.rawHeaders), on which it counts the Authorization and DPoP lines to refuse a repeated one.
const request = {
  method: 'GET',
  url: PATH,
  headers: { authorization: `DPoP ${token}`, dpop: proof },
  raw: { rawHeaders: ['Authorization', `DPoP ${token}`, 'DPoP', proof] },
};

const handWritten = new AccessTokenVerifier({ mode: 'development', authServerUrl: issuerUrl }, new PublicUrl(API));

// jose with the same policy: PS256/ES256 tokens, advertised proof algs, fit proof keys, iat -60 s..+5 s.
const jwks = createLocalJWKSet(await (await fetch(`${issuerUrl}/jwks`)).json());
const proofKeys = new Map();
async function joseVerify(req) {
  const accessToken = req.headers.authorization.slice(5);
  const { payload } = await jwtVerify(accessToken, jwks, {
    issuer: issuerUrl, audience: API, typ: 'at+jwt', algorithms: ['PS256', 'ES256'], clockTolerance: 30,
    requiredClaims: ['iss', 'exp', 'aud', 'sub', 'iat', 'jti', 'client_id', 'cnf'],
  });
  const header = decodeProtectedHeader(req.headers.dpop);
  if (header.typ !== 'dpop+jwt' || !['PS256', 'ES256'].includes(header.alg) || jwkAlgorithm(header.jwk) !== header.alg) throw new Error('proof header');
  const thumbprint = await calculateJwkThumbprint(header.jwk);
  if (thumbprint !== payload.cnf.jkt) throw new Error('jkt');
  let key = proofKeys.get(thumbprint);
  if (!key) proofKeys.set(thumbprint, (key = await importJWK(header.jwk, header.alg)));
  const { payload: claims } = await jwtVerify(req.headers.dpop, key, { typ: 'dpop+jwt', algorithms: ['PS256', 'ES256'], requiredClaims: ['iat', 'jti', 'htm', 'htu', 'ath'] });
  const at = Math.floor(Date.now() / 1000);
  if (claims.iat < at - 60 || claims.iat > at + 5) throw new Error('iat');
  if (claims.htm !== req.method || claims.htu !== `${API}${req.url}`) throw new Error('htm/htu');
  if (claims.ath !== createHash('sha256').update(accessToken).digest('base64url')) throw new Error('ath');
  return payload;
}

async function measure(name, verify, inFlight) {
  for (let i = 0; i < 200; i++) await verify(request); // warm-up, caches filled
  let done = 0;
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (Date.now() < end) {
      await verify(request);
      done++;
    }
  }));
  const rate = done / SECONDS;
  console.log(`${name.padEnd(13)} in flight ${String(inFlight).padStart(2)}: ${rate.toFixed(0).padStart(6)} ops/s`);
  return rate;
}

const results = {};
for (const inFlight of [1, 32]) {
  const mine = await measure('hand-written', (r) => handWritten.verify(r), inFlight);
  const jose = await measure('jose', joseVerify, inFlight);
  results[inFlight] = mine / jose;
  console.log(`ratio hand-written / jose, ${inFlight} in flight: ${(mine / jose).toFixed(2)}x`);
}
server.close();
