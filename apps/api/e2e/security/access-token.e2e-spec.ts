import { createHash, randomUUID } from 'node:crypto';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { dpopKeyImport } from '../../src/security/access-token.verifier.js';

import { AISP, ApiHarness, JsonBody } from '../support/api-harness.js';
import { DpopKey } from '../support/dpop-key.js';
import { ISSUER_ALGORITHMS } from '../support/local-issuer.js';
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

  it('reads the DPoP scheme in any case and after one space or more, as HTTP auth schemes are (RFC 9110 §11.1, §11.4)', async () => {
    for (const scheme of ['dpop ', 'DPOP ', 'dPoP ', 'DPoP   ']) {
      const token = await h.consentToken(consentId);
      const result = await h.tpp('GET', ACCOUNTS, { token, headers: { authorization: `${scheme}${token}` } });
      expect(result.status, scheme).toBe(200);
    }
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

  it('accepts a proof dated 50 s ago or 4 s ahead, refuses one 90 s old or 10 s ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [now - 50, now + 4]) {
      expect((await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId), proof: { iat } })).status, `iat ${iat - now}`).toBe(200);
    }
    for (const iat of [now - 90, now + 10]) {
      const result = await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId), proof: { iat } });
      expectRefused(result, 'U006', 'DPoP');
      expect(result.body.Errors[0].Message).toBe('The DPoP proof is not valid (iat is not recent enough)');
    }
  });

  it('refuses proof keys other than P-256 or RSA 2048 to 4096 bits with e = 65537, before importing them', async () => {
    const url = `${h.api.publicUrl}${ACCOUNTS}`;
    const imports = vi.spyOn(dpopKeyImport, 'importKey');
    try {
      const cases: Array<[string, DpopKey]> = [
        ['RSA 1024', await DpopKey.generateRsa(1024)],
        ['RSA 2048, e = 3', await DpopKey.generateRsa(2048, 3)],
      ];
      for (const [name, key] of cases) {
        const token = await h.consentToken(consentId, { jkt: key.jkt });
        const result = await h.tpp('GET', ACCOUNTS, { token, proofValue: await key.proof('GET', url, token) });
        expectRefused(result, 'U006', 'DPoP');
        expect(result.body.Errors[0].Message, name).toBe('The DPoP proof is not valid (the key must be EC P-256, or RSA of 2048 to 4096 bits with e = 65537)');
      }
      // A P-384 key under ES256, and an 8192-bit modulus: refused from the jwk alone (the signature is never looked at).
      const p384 = await DpopKey.generate('ES384');
      const p384Token = await h.consentToken(consentId, { jkt: p384.jkt });
      const p384Proof = (await p384.proof('GET', url, p384Token)).split('.');
      const p384Jwk = JSON.parse(Buffer.from(p384Proof[0]!, 'base64url').toString()).jwk;
      const asEs256 = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'dpop+jwt', jwk: p384Jwk })).toString('base64url');
      const token = await h.consentToken(consentId);
      const proof = (await h.dpop.proof('GET', url, token)).split('.');
      const n = Buffer.alloc(1024, 0xff).toString('base64url');
      const rsa8192 = Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'dpop+jwt', jwk: { kty: 'RSA', n, e: 'AQAB' } })).toString('base64url');
      for (const [bound, value] of [[p384Token, `${asEs256}.${p384Proof[1]}.${p384Proof[2]}`], [token, `${rsa8192}.${proof[1]}.${proof[2]}`]] as const) {
        const result = await h.tpp('GET', ACCOUNTS, { token: bound, proofValue: value });
        expectRefused(result, 'U006', 'DPoP');
        expect(result.body.Errors[0].Message).toBe('The DPoP proof is not valid (the key must be EC P-256, or RSA of 2048 to 4096 bits with e = 65537)');
      }
      // P-384 signed as ES384: the alg itself is refused.
      const es384 = await h.tpp('GET', ACCOUNTS, { token: p384Token, proofValue: p384Proof.join('.') });
      expect(es384.body.Errors[0].Message).toBe('The DPoP proof is not valid (the alg is not allowed)');
      expect(imports).not.toHaveBeenCalled();
      // A fit RSA key (3072 bits) is imported and accepted.
      const rsa = await DpopKey.generateRsa(3072);
      const rsaToken = await h.consentToken(consentId, { jkt: rsa.jkt });
      expect((await h.tpp('GET', ACCOUNTS, { token: rsaToken, proofValue: await rsa.proof('GET', url, rsaToken) })).status).toBe(200);
      expect(imports).toHaveBeenCalledTimes(1);
    } finally {
      imports.mockRestore();
    }
  });

  it('never imports the proof key of a token whose signature fails, and reports the token first', async () => {
    const url = `${h.api.publicUrl}${ACCOUNTS}`;
    const imports = vi.spyOn(dpopKeyImport, 'importKey');
    try {
      // A key the API has never seen, so its import cannot come from the cache.
      const fresh = await DpopKey.generate();
      const forged = await h.consentToken(consentId, { jkt: fresh.jkt, foreignKey: true });
      const result = await h.tpp('GET', ACCOUNTS, { token: forged, proofValue: await fresh.proof('GET', url, forged) });
      expectRefused(result, 'U006', 'Authorization');
      expect(result.body.Errors[0].Message).toBe('The access token is not valid (the signature does not verify)');
      expect(imports).not.toHaveBeenCalled();
      // A proof at fault too: the token's fault is still the one reported.
      const both = await h.tpp('GET', ACCOUNTS, { token: forged, proofValue: await fresh.proof('GET', url, forged, { htm: 'POST' }) });
      expect(both.body.Errors[0].Message).toBe('The access token is not valid (the signature does not verify)');
      // The same key with a good token: imported once, accepted.
      const good = await h.consentToken(consentId, { jkt: fresh.jkt });
      expect((await h.tpp('GET', ACCOUNTS, { token: good, proofValue: await fresh.proof('GET', url, good) })).status).toBe(200);
      expect(imports).toHaveBeenCalledTimes(1);
    } finally {
      imports.mockRestore();
    }
  });

  it('refuses EdDSA proofs and EdDSA tokens, which the authorization server does not advertise', async () => {
    const url = `${h.api.publicUrl}${ACCOUNTS}`;
    const ed = await DpopKey.generate('EdDSA');
    const token = await h.consentToken(consentId, { jkt: ed.jkt });
    const result = await h.tpp('GET', ACCOUNTS, { token, proofValue: await ed.proof('GET', url, token) });
    expectRefused(result, 'U006', 'DPoP');
    expect(result.body.Errors[0].Message).toBe('The DPoP proof is not valid (the alg is not allowed)');
    const { privateKey } = await generateKeyPair('EdDSA');
    const [, payload] = (await h.consentToken(consentId)).split('.');
    const edToken = await new SignJWT(JSON.parse(Buffer.from(payload!, 'base64url').toString()))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: h.issuer.kid })
      .sign(privateKey);
    const refused = await h.tpp('GET', ACCOUNTS, { token: edToken });
    expectRefused(refused, 'U006', 'Authorization');
    expect(refused.body.Errors[0].Message).toBe('The access token is not valid (the alg is not allowed)');
  });

  it.each(ISSUER_ALGORITHMS)('serves a token the authorization server signed with its %s key', async (alg) => {
    const result = await h.tpp('GET', ACCOUNTS, { token: await h.consentToken(consentId, { alg }) });
    expect(result.status).toBe(200);
  });

  it('refuses a token whose header names one of the issuer\'s algorithms with the other algorithm\'s key', async () => {
    // Signed by the ES256 key but labelled PS256 under that key's kid: no published key fits PS256 under it.
    const es = await h.consentToken(consentId, { alg: 'ES256' });
    const [header, payload, signature] = es.split('.');
    const { kid } = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { kid: string };
    const relabelled = `${Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'at+jwt', kid })).toString('base64url')}.${payload}.${signature}`;
    expectRefused(await h.tpp('GET', ACCOUNTS, { token: relabelled }), 'U006', 'Authorization');
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
