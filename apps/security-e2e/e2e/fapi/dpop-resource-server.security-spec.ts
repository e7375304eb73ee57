import { createHash } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  apiCall,
  attackerKey,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  clientCredentials,
  dpopProof,
  errorsOf,
  expectNothingWritten,
  HttpResult,
  KeyedTppClient,
  secretsInLogs,
  startAttackPlatform,
  tppWithKnownDpopKey,
} from '../support/attack-platform.js';

/** The OB error list of a refusal. */
/**
 * FAPI 2.0 attacker model at the resource server: A1a (a network attacker who reads what reaches the
 * resource server, or a resource server that leaks tokens) and A5 (an attacker holding a leaked access
 * token). Access tokens are sender-constrained with DPoP (RFC 9449, FAPI 2.0 5.3.2.1): the token alone
 * reads nothing, and a proof made for one request is good for no other.
 */
describe('FAPI 2.0 attacker model: leaked access tokens and DPoP proofs at the resource server (A1a, A5)', () => {
  let platform: AttackPlatform;
  let tpp: KeyedTppClient;
  let consent: AuthorisedConsent;
  let balancesPath: string;
  let balancesUrl: string;

  beforeAll(async () => {
    platform = await startAttackPlatform('fapi_dpop');
    tpp = await tppWithKnownDpopKey(platform, platform.sandbox.tpp);
    consent = await authorisedConsent(platform, tpp.client, { psu: platform.sandbox.psus[0]! });
    balancesPath = `${AISP}/accounts/${consent.accountIds[0]!}/balances`;
    balancesUrl = `${platform.env.API_URL!}${balancesPath}`;
    // The baseline every refusal differs from by one part: the token with a correct hand-built proof reads.
    const baseline = await apiCall(platform, 'GET', balancesPath, {
      authorization: `DPoP ${consent.accessToken}`,
      dpop: await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken }),
      headers: { 'x-fapi-customer-ip-address': '203.0.113.7' },
    });
    expect(baseline.status).toBe(200);
  });

  afterAll(async () => platform?.stop());

  /** A PSU-present read of the balances with the consent's token and `proof`. */
  function readBalances(proof: string | undefined, authorization = `DPoP ${consent.accessToken}`): Promise<HttpResult> {
    return apiCall(platform, 'GET', balancesPath, { authorization, dpop: proof, headers: { 'x-fapi-customer-ip-address': '203.0.113.7' } });
  }

  function expectProofRefused(result: HttpResult, reason: string): void {
    expect(result.status).toBe(401);
    expect(errorsOf(result)).toEqual([{ ErrorCode: 'U006', Message: `The DPoP proof is not valid (${reason})`, Path: 'DPoP' }]);
    expect(result.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');
  }

  it('refuses a leaked access token presented without a DPoP proof (A5)', async () => {
    const result = await expectNothingWritten(platform, () => readBalances(undefined));
    expect(result.status).toBe(401);
    expect(errorsOf(result)).toEqual([{ ErrorCode: 'U007', Message: 'A DPoP proof header is required', Path: 'DPoP' }]);
  });

  it('refuses the DPoP-bound token sent as a Bearer token, with or without a proof (A5)', async () => {
    await expectNothingWritten(platform, async () => {
      for (const proof of [undefined, await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken })]) {
        const result = await readBalances(proof, `Bearer ${consent.accessToken}`);
        expect(result.status).toBe(401);
        expect(errorsOf(result)).toEqual([{ ErrorCode: 'U006', Message: 'Authorization must be "DPoP <access token>"', Path: 'Authorization' }]);
      }
    });
  });

  it("refuses a stolen access token used with the attacker's own DPoP key (A5)", async () => {
    const thief = await attackerKey();
    const proof = await dpopProof(thief, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(proof)), 'the proof key is not the key the token is bound to (cnf.jkt)');
  });

  it("refuses a proof that names the bound key in its header but is signed by the attacker's key (A5)", async () => {
    const thief = await attackerKey();
    const proof = await dpopProof(thief, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken, jwk: tpp.key.publicJwk });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(proof)), 'the signature does not verify');
  });

  it('refuses a proof made for another HTTP method (htm) (A1a)', async () => {
    const proof = await dpopProof(tpp.key, { htm: 'POST', htu: balancesUrl, accessToken: consent.accessToken });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(proof)), 'htm is not the request method');
  });

  it('refuses a proof made for another URL (htu): another resource, another host (A1a)', async () => {
    const elsewhere = [`${platform.env.API_URL!}${AISP}/accounts`, balancesUrl.replace('localhost', '127.0.0.1'), `https://rs.attacker.example${balancesPath}`];
    await expectNothingWritten(platform, async () => {
      for (const htu of elsewhere) {
        const proof = await dpopProof(tpp.key, { htm: 'GET', htu, accessToken: consent.accessToken });
        // The refusal names the URL the proof must carry: API_URL and the path, whatever Host was called.
        expectProofRefused(await readBalances(proof), `htu is not the request URL; expected ${balancesUrl}`);
      }
    });
  });

  it('refuses a proof without ath, the hash of the token it goes with (A1a)', async () => {
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(proof)), 'no ath claim');
  });

  it("refuses a proof whose ath is another token's hash (A1a)", async () => {
    const other = await clientCredentials(platform, tpp.client);
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: other });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(proof)), 'ath is not the hash of the access token');
    const garbage = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, extraClaims: { ath: createHash('sha256').update('x').digest('hex') } });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(garbage)), 'ath is not the hash of the access token');
  });

  it('refuses a replayed proof: the same jti a second time (A1a)', async () => {
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken });
    expect((await readBalances(proof)).status).toBe(200);
    const replay = await expectNothingWritten(platform, () => readBalances(proof));
    expect(replay.status).toBe(401);
    expect(errorsOf(replay)).toEqual([{ ErrorCode: 'U006', Message: 'This DPoP proof was already used; send a fresh proof with every request', Path: 'DPoP' }]);
  });

  it('refuses a proof typed jwt instead of dpop+jwt', async () => {
    await expectNothingWritten(platform, async () => {
      for (const typ of ['jwt', 'JWT', 'at+jwt']) {
        const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken, typ });
        expectProofRefused(await readBalances(proof), 'typ must be dpop+jwt');
      }
    });
  });

  it('refuses a proof that carries a private key in its jwk header', async () => {
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: consent.accessToken, jwk: tpp.privateJwk });
    expectProofRefused(await expectNothingWritten(platform, () => readBalances(proof)), 'the jwk must hold a public key only');
  });

  it('refuses a leaked client-credentials token (no consent) on account data, even with a valid proof (A5)', async () => {
    const token = await clientCredentials(platform, tpp.client);
    const proof = await dpopProof(tpp.key, { htm: 'GET', htu: balancesUrl, accessToken: token });
    const result = await expectNothingWritten(platform, () => readBalances(proof, `DPoP ${token}`));
    expect(result.status).toBe(403);
    expect(errorsOf(result)).toEqual([{ ErrorCode: 'U042', Message: 'Account data needs a token issued for an authorised consent' }]);
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
