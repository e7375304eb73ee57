import { constants, generateKeyPairSync, KeyObject, sign, webcrypto } from 'node:crypto';

import fc from 'fast-check';
import { compactVerify, decodeProtectedHeader, importJWK, JWK } from 'jose';
import { describe, expect, it } from 'vitest';

import { jwkAlgorithm, parseCompactJws, publicKeyFromJwk, verifyJwsSignature } from './compact-jws.js';

// Differential tests: generated and mutated JWSs (headers, payloads, keys, signatures) must get the same
// accept or reject from the hand-written checks and from jose with the same policy (PS256 or ES256; a key
// that is P-256, or RSA of 2048 to 4096 bits with e = 65537; no crit; a JSON object payload).

interface TestKey {
  name: string;
  privateKey: KeyObject;
  jwk: Record<string, unknown>;
}

function key(name: string, pair: { privateKey: KeyObject; publicKey: KeyObject }): TestKey {
  return { name, privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as Record<string, unknown> };
}

// Generated once: RSA sizes and exponents, EC curves, OKP.
const KEYS: TestKey[] = [
  key('RSA 1024', generateKeyPairSync('rsa', { modulusLength: 1024 })),
  key('RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 })),
  key('RSA 2048 e=3', generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 })),
  key('RSA 3072', generateKeyPairSync('rsa', { modulusLength: 3072 })),
  key('RSA 4608', generateKeyPairSync('rsa', { modulusLength: 4608 })),
  key('P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  key('P-256 other', generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  key('P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' })),
  key('Ed25519', generateKeyPairSync('ed25519')),
];

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Signs with the key's own algorithm, whatever the header claims (a header alg that lies must fail). */
function signWith(signer: TestKey, input: string): Buffer {
  const data = Buffer.from(input);
  const type = signer.privateKey.asymmetricKeyType;
  if (type === 'rsa') return sign('sha256', data, { key: signer.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  if (type === 'ed25519') return sign(null, data, signer.privateKey);
  const hash = signer.jwk.crv === 'P-384' ? 'sha384' : 'sha256';
  return sign(hash, data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
}

function naturalAlg(signer: TestKey): string {
  const type = signer.privateKey.asymmetricKeyType;
  return type === 'rsa' ? 'PS256' : type === 'ed25519' ? 'EdDSA' : signer.jwk.crv === 'P-384' ? 'ES384' : 'ES256';
}

async function handWrittenAccepts(jwt: string, jwk: Record<string, unknown>): Promise<boolean> {
  try {
    const jws = parseCompactJws(jwt);
    if (jwkAlgorithm(jwk) !== jws.alg) return false;
    await verifyJwsSignature(jws, publicKeyFromJwk(jwk));
    return true;
  } catch {
    return false;
  }
}

async function joseAccepts(jwt: string, jwk: Record<string, unknown>): Promise<boolean> {
  try {
    const { alg } = decodeProtectedHeader(jwt);
    if (alg !== 'PS256' && alg !== 'ES256') return false;
    const imported = await importJWK(jwk as JWK, alg);
    if (!(imported instanceof CryptoKey)) return false;
    if (jwk.kty === 'RSA') {
      const algorithm = imported.algorithm as webcrypto.RsaHashedKeyAlgorithm;
      const exponent = Buffer.from(algorithm.publicExponent).toString('hex').replace(/^0+/, '');
      if (algorithm.modulusLength < 2048 || algorithm.modulusLength > 4096 || exponent !== '10001') return false;
    }
    const { payload } = await compactVerify(jwt, imported, { algorithms: ['PS256', 'ES256'] });
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims);
  } catch {
    return false;
  }
}

const header = fc.record(
  {
    alg: fc.constantFrom('PS256', 'ES256', 'EdDSA', 'ES384', 'RS256', 'HS256', 'none', 'ps256'),
    typ: fc.constantFrom('at+jwt', 'dpop+jwt', 'JWT'),
    kid: fc.string({ maxLength: 8 }),
    crit: fc.constantFrom(['b64'], ['exp'], []),
    jwk: fc.constantFrom(...KEYS.map((k) => k.jwk)),
  },
  { requiredKeys: ['alg'] },
);

const payload = fc.oneof(
  { weight: 4, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()), { maxKeys: 5 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>([1, 2], 'text', 7, null) },
);

const mutation = fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'signature', 'payload', 'header', 'truncate-signature', 'other-key', 'extra-part');

describe('hand-written JWS checks against jose (differential)', () => {
  it('give the same accept or reject for generated and mutated JWSs, headers, keys and signatures', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(KEYS.length - 1), header, fc.boolean(), payload, mutation, fc.nat(), fc.nat(63), async (signerIndex, generated, honest, body, change, at, letter) => {
        const signer = KEYS[signerIndex]!;
        // Half the headers name the signing key's own alg and carry no crit, so the accepting side is reached often.
        const protectedHeader: Record<string, unknown> = honest ? { ...generated, alg: naturalAlg(signer) } : generated;
        if (honest) delete protectedHeader.crit;
        const parts = [b64(protectedHeader), b64(body)];
        parts.push(signWith(signer, `${parts[0]}.${parts[1]}`).toString('base64url'));
        let verifierJwk = signer.jwk;
        const replace = (index: number) => {
          const part = parts[index]!;
          const position = at % part.length;
          const next = ALPHABET[(ALPHABET.indexOf(part[position]!) + 1 + letter) % 64]!;
          parts[index] = part.slice(0, position) + next + part.slice(position + 1);
        };
        if (change === 'header') replace(0);
        if (change === 'payload') replace(1);
        if (change === 'signature') replace(2);
        if (change === 'truncate-signature') parts[2] = parts[2]!.slice(0, parts[2]!.length - 1 - (at % 8));
        if (change === 'other-key') verifierJwk = KEYS[(signerIndex + 1 + (at % (KEYS.length - 1))) % KEYS.length]!.jwk;
        if (change === 'extra-part') parts.push('e30');
        const jwt = parts.join('.');
        const mine = await handWrittenAccepts(jwt, verifierJwk);
        const reference = await joseAccepts(jwt, verifierJwk);
        if (mine) accepted++;
        expect(mine, `${signer.name} ${JSON.stringify(protectedHeader)} ${change}`).toBe(reference);
      }),
      { numRuns: 200 },
    );
    // The generator must reach the accepting side too, or the property proves nothing.
    expect(accepted).toBeGreaterThan(5);
  });

  it('agree on the accepted case for every fit key, and refuse every unfit one', async () => {
    for (const signer of KEYS) {
      const alg = signer.privateKey.asymmetricKeyType === 'rsa' ? 'PS256' : 'ES256';
      const input = `${b64({ alg })}.${b64({ sub: 'x' })}`;
      const jwt = `${input}.${signWith(signer, input).toString('base64url')}`;
      const fit = ['RSA 2048', 'RSA 3072', 'P-256', 'P-256 other'].includes(signer.name);
      expect(await handWrittenAccepts(jwt, signer.jwk), signer.name).toBe(fit);
      expect(await joseAccepts(jwt, signer.jwk), signer.name).toBe(fit);
    }
  });
});
