import { constants, generateKeyPairSync, sign, verify } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';

import { hasPrivateMembers, jwkAlgorithm, jwkThumbprint, JwsError, p1363ToDer, parseCompactJws, publicKeyFromJwk, verifyJwsSignature } from './compact-jws.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function signed(alg: 'PS256' | 'ES256' | 'ES384' | 'EdDSA', header: Record<string, unknown> = {}) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg, ...header }).sign(privateKey);
  return { jwt, jwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey) };
}

describe('compact JWS checks', () => {
  it('verifies PS256 and ES256 signatures made by jose', async () => {
    for (const alg of ['PS256', 'ES256'] as const) {
      const { jwt, jwk } = await signed(alg);
      const jws = parseCompactJws(jwt);
      expect(jws.claims.sub).toBe('x');
      await expect(verifyJwsSignature(jws, publicKeyFromJwk(jwk as Record<string, unknown>))).resolves.toBeUndefined();
    }
  });

  it('turns JWS ECDSA signatures into the DER node signs, whatever their leading bytes', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // 500 signatures: some r or s with a leading zero byte or a high bit, each of which DER spells differently.
    for (let i = 0; i < 500; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = p1363ToDer(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
      expect(verify('sha256', data, publicKey, der)).toBe(true);
    }
    const fixed = Buffer.concat([Buffer.alloc(31, 0), Buffer.from([0x01]), Buffer.from([0x80]), Buffer.alloc(31, 0xff)]);
    expect(p1363ToDer(fixed).toString('hex')).toBe(`3026020101022100${'80'}${'ff'.repeat(31)}`);
  });

  it('refuses a changed payload or signature', async () => {
    const { jwt, jwk } = await signed('ES256');
    const key = publicKeyFromJwk(jwk as Record<string, unknown>);
    const [header, , signature] = jwt.split('.');
    await expect(verifyJwsSignature(parseCompactJws(`${header}.${encode({ sub: 'y' })}.${signature}`), key)).rejects.toThrow(JwsError);
    const flipped = Buffer.from(signature!, 'base64url');
    flipped[0]! ^= 1;
    await expect(verifyJwsSignature(parseCompactJws(`${header}.${jwt.split('.')[1]}.${flipped.toString('base64url')}`), key)).rejects.toThrow(/does not verify/);
  });

  it('refuses none, HMAC and RS256, crit, and anything but three base64url parts', async () => {
    for (const alg of ['none', 'HS256', 'RS256', 'ES384', 'EdDSA']) {
      expect(() => parseCompactJws(`${encode({ alg })}.${encode({})}.c2ln`), alg).toThrow(/alg is not allowed/);
    }
    expect(() => parseCompactJws(`${encode({ alg: 'ES256', crit: ['b64'], b64: false })}.${encode({})}.c2ln`)).toThrow(/crit/);
    expect(() => parseCompactJws('a.b')).toThrow(JwsError);
    expect(() => parseCompactJws('a.b.c.d.e')).toThrow(JwsError);
    expect(() => parseCompactJws(`${encode({ alg: 'ES256' })}.${encode({})}.`)).toThrow(/signature is not base64url/);
    expect(() => parseCompactJws(`${encode({ alg: 'ES256' })}.${encode([1])}.c2ln`)).toThrow(/not a JSON object/);
    expect(() => parseCompactJws(`${encode({ alg: 'ES256' })}.e30=.c2ln`)).toThrow(/not base64url/);
  });

  it('refuses a key of the wrong kind for the alg, and RSA keys under 2048 bits', async () => {
    const { jwt } = await signed('ES256');
    const rsa = await signed('PS256');
    await expect(verifyJwsSignature(parseCompactJws(jwt), publicKeyFromJwk(rsa.jwk as Record<string, unknown>))).rejects.toThrow(/does not fit ES256/);
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const input = `${encode({ alg: 'PS256' })}.${encode({})}`;
    const signature = sign('sha256', Buffer.from(input), { key: small.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    await expect(verifyJwsSignature(parseCompactJws(`${input}.${signature.toString('base64url')}`), small.publicKey)).rejects.toThrow(/does not fit PS256/);
  });

  it('accepts only P-256 and RSA keys of 2048 to 4096 bits with e = 65537, from the jwk alone', async () => {
    const rsaJwk = (bits: number, e = 'AQAB') => {
      const n = Buffer.alloc(Math.ceil(bits / 8), 0xff);
      n[0] = 0xff >> ((8 - (bits % 8)) % 8);
      return { kty: 'RSA', n: n.toString('base64url'), e };
    };
    expect(jwkAlgorithm(rsaJwk(2048))).toBe('PS256');
    expect(jwkAlgorithm(rsaJwk(4096))).toBe('PS256');
    for (const bits of [1024, 2047, 4097, 8192]) expect(jwkAlgorithm(rsaJwk(bits)), `${bits} bits`).toBeNull();
    for (const e of ['Aw', 'AQAC', 'AAEAAQ', Buffer.alloc(64, 0xff).toString('base64url')]) expect(jwkAlgorithm(rsaJwk(2048, e)), e).toBeNull();
    expect(jwkAlgorithm({ ...rsaJwk(2048), n: `AA${rsaJwk(2048).n}` })).toBeNull();
    const p256 = (await signed('ES256')).jwk as Record<string, unknown>;
    expect(jwkAlgorithm(p256)).toBe('ES256');
    for (const alg of ['ES384', 'EdDSA'] as const) {
      const { jwk } = await signed(alg);
      expect(jwkAlgorithm(jwk as Record<string, unknown>), alg).toBeNull();
      expect(() => publicKeyFromJwk(jwk as Record<string, unknown>), alg).toThrow(/EC P-256, or RSA of 2048 to 4096 bits/);
    }
    const e3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ format: 'jwk' });
    expect(() => publicKeyFromJwk(e3 as Record<string, unknown>)).toThrow(/e = 65537/);
  });

  it('computes RFC 7638 thumbprints as jose does, and refuses private or symmetric JWKs', async () => {
    for (const alg of ['PS256', 'ES256'] as const) {
      const { jwk, privateJwk } = await signed(alg);
      expect(jwkThumbprint(jwk as Record<string, unknown>)).toBe(await calculateJwkThumbprint(jwk));
      expect(hasPrivateMembers(privateJwk as Record<string, unknown>)).toBe(true);
      expect(() => publicKeyFromJwk(privateJwk as Record<string, unknown>)).toThrow(/public key only/);
    }
    expect(() => publicKeyFromJwk({ kty: 'oct', k: 'c2VjcmV0' })).toThrow(/public key only/);
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'abc' })).toThrow(/lacks y/);
  });
});
