import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  apiCall,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  b64json,
  claimsOf,
  dpopProof,
  errorsOf,
  expectNothingWritten,
  HttpResult,
  KeyedTppClient,
  secretsInLogs,
  startAttackPlatform,
  tppWithKnownDpopKey,
} from '../support/attack-platform.js';

const UNFIT_KEY = 'the key must be EC P-256, or RSA of 2048 to 4096 bits with e = 65537';

/**
 * FAPI 2.0 attacker model at the resource server, denial of service through the verifier: a proof key
 * that costs more than a normal verify (huge RSA modulus, odd exponent, other curves), algorithms the
 * authorization server does not advertise, proofs dated ahead, and forged tokens that would buy a proof
 * check. Each is refused before any key is imported for it.
 */
describe('FAPI 2.0 attacker model: proof keys, algorithms and proof age at the resource server', () => {
  let platform: AttackPlatform;
  let tpp: KeyedTppClient;
  let consent: AuthorisedConsent;
  let balancesPath: string;
  let balancesUrl: string;

  beforeAll(async () => {
    platform = await startAttackPlatform('fapi_proof_keys');
    tpp = await tppWithKnownDpopKey(platform, platform.sandbox.tpp);
    consent = await authorisedConsent(platform, tpp.client, { psu: platform.sandbox.psus[0]! });
    balancesPath = `${AISP}/accounts/${consent.accountIds[0]!}/balances`;
    balancesUrl = `${platform.env.API_URL!}${balancesPath}`;
  });

  afterAll(async () => platform?.stop());

  function readBalances(proof: string, authorization = `DPoP ${consent.accessToken}`): Promise<HttpResult> {
    return apiCall(platform, 'GET', balancesPath, { authorization, dpop: proof, headers: { 'x-fapi-customer-ip-address': '203.0.113.7' } });
  }

  function expectRefused(result: HttpResult, message: string, path: 'DPoP' | 'Authorization'): void {
    expect(result.status).toBe(401);
    expect(errorsOf(result)).toEqual([{ ErrorCode: 'U006', Message: message, Path: path }]);
    expect(result.headers.get('www-authenticate')).toContain(path === 'DPoP' ? 'error="invalid_dpop_proof"' : 'error="invalid_token"');
  }

  /** A proof signed by the TPP's bound key, with another public key in its jwk header. */
  function proofWithJwk(jwk: Record<string, unknown>): Promise<string> {
    return dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken, jwk: jwk as JWK });
  }

  it('refuses RSA proof keys under 2048 or over 4096 bits, from the modulus length alone', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const huge = { kty: 'RSA', n: Buffer.alloc(1024, 0xff).toString('base64url'), e: 'AQAB' };
    await expectNothingWritten(platform, async () => {
      for (const jwk of [small, huge]) expectRefused(await readBalances(await proofWithJwk(jwk as Record<string, unknown>)), `The DPoP proof is not valid (${UNFIT_KEY})`, 'DPoP');
    });
  });

  it('refuses RSA proof keys whose exponent is not 65537 (3, or a huge e)', async () => {
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
    const hugeE = { ...e3, e: Buffer.alloc(256, 0xff).toString('base64url') };
    await expectNothingWritten(platform, async () => {
      for (const jwk of [e3, hugeE]) expectRefused(await readBalances(await proofWithJwk(jwk)), `The DPoP proof is not valid (${UNFIT_KEY})`, 'DPoP');
    });
  });

  it('refuses EC proof keys on another curve than P-256 (P-384) and OKP keys', async () => {
    const p384 = await exportJWK((await generateKeyPair('ES384', { extractable: true })).publicKey);
    const ed = await exportJWK((await generateKeyPair('EdDSA', { extractable: true })).publicKey);
    await expectNothingWritten(platform, async () => {
      for (const jwk of [p384, ed]) expectRefused(await readBalances(await proofWithJwk(jwk as Record<string, unknown>)), `The DPoP proof is not valid (${UNFIT_KEY})`, 'DPoP');
    });
  });

  it('refuses an EdDSA proof, which the authorization server does not advertise', async () => {
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const proof = await new SignJWT({ htm: 'GET', htu: balancesUrl, ath: createHash('sha256').update(consent.accessToken).digest('base64url') })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(privateKey);
    const result = await expectNothingWritten(platform, () => readBalances(proof));
    expectRefused(result, 'The DPoP proof is not valid (the alg is not allowed)', 'DPoP');
  });

  it('refuses an EdDSA access token, whatever its proof', async () => {
    const { privateKey } = await generateKeyPair('EdDSA');
    const header = JSON.parse(Buffer.from(consent.accessToken.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    const token = await new SignJWT(claimsOf(consent.accessToken)).setProtectedHeader({ ...header, alg: 'EdDSA' }).sign(privateKey);
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: token });
    const result = await expectNothingWritten(platform, () => readBalances(proof, `DPoP ${token}`));
    expectRefused(result, 'The access token is not valid (the alg is not allowed)', 'Authorization');
  });

  it('refuses a proof dated 10 s ahead or 90 s ago (accepted window: now - 60 s to now + 5 s)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectNothingWritten(platform, async () => {
      for (const iat of [now + 10, now - 90, now + 120]) {
        const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken, iat });
        expectRefused(await readBalances(proof), 'The DPoP proof is not valid (iat is not recent enough)', 'DPoP');
      }
    });
  });

  it('refuses a forged token before looking at its proof, even when the proof is also wrong', async () => {
    const [header, payload, signature] = consent.accessToken.split('.');
    const flipped = Buffer.from(signature!, 'base64url');
    flipped[10]! ^= 1;
    const forged = `${header}.${payload}.${flipped.toString('base64url')}`;
    const tampered = `${header}.${b64json({ ...claimsOf(consent.accessToken), scope: 'accounts payments' })}.${signature}`;
    await expectNothingWritten(platform, async () => {
      for (const token of [forged, tampered]) {
        for (const htm of ['GET', 'POST']) {
          const proof = await dpopProof(tpp.key, { htm, htu: balancesUrl, accessToken: token });
          expectRefused(await readBalances(proof, `DPoP ${token}`), 'The access token is not valid (the signature does not verify)', 'Authorization');
        }
      }
    });
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
