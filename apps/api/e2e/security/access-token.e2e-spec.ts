import { createHash, randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';
import { expectObSchema } from '../support/ob-schema.js';

const ACCOUNTS = `${AISP}/accounts`;

describe('access token and DPoP', () => {
  let h: ApiHarness;
  let consentId: string;

  beforeAll(async () => {
    h = await ApiHarness.start('security');
    consentId = await h.authorisedConsent(['ReadAccountsBasic']);
  });
  afterAll(async () => h?.stop());

  function expectRefused(result: { status: number; headers: Headers; body: JsonBody }, errorCode: string, path: string): void {
    expect(result.status).toBe(401);
    expect(result.headers.get('www-authenticate')).toMatch(/^DPoP /);
    expect(result.headers.get('x-fapi-interaction-id')).toBeTruthy();
    expectObSchema('OBErrorResponse1', result.body);
    expect(result.body.Errors[0]).toMatchObject({ ErrorCode: errorCode, Path: path });
  }

  it('accepts a valid token with a fresh proof', async () => {
    const result = await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId) });
    expect(result.status).toBe(200);
  });

  it('refuses a call without a token', async () => {
    expectRefused(await h.call('GET', ACCOUNTS), 'U007', 'Authorization');
  });

  it('refuses a DPoP-bound token sent as Bearer', async () => {
    const token = await h.consentToken(consentId);
    expectRefused(await h.tpp('GET', ACCOUNTS, { token, headers: { authorization: `Bearer ${token}` } }), 'U006', 'Authorization');
  });

  it('refuses a token without a DPoP proof', async () => {
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId), proof: false }), 'U007', 'DPoP');
  });

  it('refuses a proof made for another URL', async () => {
    const result = await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId), proof: { htu: `${h.api.publicUrl}${AISP}/balances` } });
    expectRefused(result, 'U006', 'DPoP');
    expect(result.headers.get('www-authenticate')).toContain('invalid_dpop_proof');
  });

  it('refuses a proof made for another method', async () => {
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId), proof: { htm: 'POST' } }), 'U006', 'DPoP');
  });

  it('refuses a proof of another key than the token is bound to', async () => {
    const token = await h.consentToken(consentId, { jkt: 'a'.repeat(43) });
    expectRefused(await h.tpp('GET', ACCOUNTS, { token }), 'U006', 'DPoP');
  });

  it('refuses a replayed proof', async () => {
    const token = await h.consentToken(consentId);
    const first = await h.tpp('GET', ACCOUNTS, { token });
    expect(first.status).toBe(200);
    const replay = await h.tpp('GET', ACCOUNTS, { token, proofValue: first.proof });
    expectRefused(replay, 'U006', 'DPoP');
    expect(replay.body.Errors[0].Message).toMatch(/already used/);
  });

  it('refuses a stale proof', async () => {
    const result = await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId), proof: { iat: Math.floor(Date.now() / 1000) - 900 } });
    expectRefused(result, 'U006', 'DPoP');
  });

  it('refuses an expired token', async () => {
    const result = await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId, { expiresIn: -60 }) });
    expectRefused(result, 'U006', 'Authorization');
    expect(result.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('refuses a token for another audience', async () => {
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId, { audience: 'https://other-api.example' }) }), 'U006', 'Authorization');
  });

  it('refuses a token signed with a key the issuer does not publish', async () => {
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId, { foreignKey: true }) }), 'U006', 'Authorization');
  });

  it('refuses a proof that carries its private key, or is signed by another key than its jwk', async () => {
    const token = await h.consentToken(consentId);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const url = `${h.api.publicUrl}${ACCOUNTS}`;
    const claims = { htm: 'GET', htu: url, ath: createHash('sha256').update(token).digest('base64url') };
    const withPrivate = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(privateKey) })
      .setJti(randomUUID())
      .setIssuedAt()
      .sign(privateKey);
    expectRefused(await h.tpp('GET', ACCOUNTS, { token, proofValue: withPrivate }), 'U006', 'DPoP');
    // The token's bound key in the header, the signature by another key.
    const boundJwk = JSON.parse(Buffer.from((await h.dpop.proof('GET', url, token)).split('.')[0]!, 'base64url').toString()).jwk;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: boundJwk }).setJti(randomUUID()).setIssuedAt().sign(privateKey);
    const result = await h.tpp('GET', ACCOUNTS, { token, proofValue: forged });
    expectRefused(result, 'U006', 'DPoP');
    expect(result.body.Errors[0].Message).toMatch(/signature/);
  });

  it('refuses a token that is not typed at+jwt or whose alg is none', async () => {
    const token = await h.consentToken(consentId);
    const [, payload] = token.split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: unsigned }), 'U006', 'Authorization');
    const retyped = `${Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'JWT', kid: h.issuer.kid })).toString('base64url')}.${payload}.${token.split('.')[2]}`;
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: retyped }), 'U006', 'Authorization');
  });

  it('caches discovery and JWKS across requests', async () => {
    const before = { discovery: h.issuer.discoveryHits, jwks: h.issuer.jwksHits };
    for (let i = 0; i < 3; i++) expect((await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId) })).status).toBe(200);
    expect(h.issuer.discoveryHits).toBe(before.discovery);
    expect(h.issuer.jwksHits).toBe(before.jwks);
  });

  it('refuses a suspended TPP at once, whatever tokens it holds', async () => {
    const token = await h.consentToken(consentId);
    await h.dataSource.query(`UPDATE tpp SET status = 'Suspended' WHERE client_id = $1`, [h.clientId]);
    try {
      expectRefused(await h.tpp('GET', ACCOUNTS, { token }), 'U006', 'Authorization');
    } finally {
      await h.dataSource.query(`UPDATE tpp SET status = 'Active' WHERE client_id = $1`, [h.clientId]);
    }
  });
});
