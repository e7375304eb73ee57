import fc from 'fast-check';
import { base64url, CompactSign, compactVerify, CryptoKey, exportJWK, generateKeyPair, importJWK, JWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { generateMessageSigningJwk, publicJwkOf, tppMessageIssuer } from './message-signing-key.js';
import {
  isMessageSigningJwk,
  MessageSignatureError,
  MessageSignatureErrorCode,
  messageSignatureHeader,
  OB_CRITICAL_CLAIMS,
  OB_IAT,
  OB_ISS,
  OB_TAN,
  signMessage,
  verifyMessageSignature,
  type MessageSignatureExpectations,
} from './ob-message-signature.js';

const ISS = tppMessageIssuer('0015800001041REAAY', 'sandbox-tpp');
const TAN = 'sandbox.consentry.local';
const BODY = '{"Data":{"Initiation":{"InstructionIdentification":"ACME412","InstructedAmount":{"Amount":"165.88","Currency":"GBP"}}},"Risk":{}}';

let privateJwk: JWK;
let privateKey: CryptoKey;
let publicKey: CryptoKey;

beforeAll(async () => {
  privateJwk = await generateMessageSigningJwk();
  privateKey = (await importJWK(privateJwk, 'PS256')) as CryptoKey;
  publicKey = (await importJWK(publicJwkOf(privateJwk), 'PS256')) as CryptoKey;
});

function expectations(overrides: Partial<MessageSignatureExpectations> = {}): MessageSignatureExpectations {
  return { iss: ISS, tan: TAN, key: async (kid) => (kid === privateJwk.kid ? publicKey : undefined), ...overrides };
}

/** A detached signature with any protected header, signed by jose itself (no checks of ours involved). */
async function signWithHeader(header: Record<string, unknown>, body: string | Uint8Array = BODY, key: CryptoKey = privateKey): Promise<string> {
  const payload = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const crit = Object.fromEntries(OB_CRITICAL_CLAIMS.map((c) => [c, true]));
  const jws = await new CompactSign(payload).setProtectedHeader(header as { alg: string }).sign(key, { crit });
  const [protectedHeader, , signature] = jws.split('.');
  return `${protectedHeader}..${signature}`;
}

function obHeader(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...messageSignatureHeader({ kid: privateJwk.kid!, iss: ISS, tan: TAN }, Math.floor(Date.now() / 1000)), ...overrides };
}

function without(header: Record<string, unknown>, claim: string): Record<string, unknown> {
  const copy = { ...header };
  delete copy[claim];
  return copy;
}

async function refusal(value: string | string[] | undefined, body: string | Uint8Array = BODY, expected = expectations()): Promise<MessageSignatureError> {
  const error = await verifyMessageSignature(value, body, expected).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof MessageSignatureError)) throw new Error(`expected a MessageSignatureError, got ${String(error)}`);
  return error;
}

describe('verifyMessageSignature', () => {
  it('accepts a signature made by signMessage over the exact body', async () => {
    const signature = await signMessage(BODY, { kid: privateJwk.kid!, iss: ISS, tan: TAN, key: privateKey });
    const verified = await verifyMessageSignature(signature, new TextEncoder().encode(BODY), expectations());
    expect(verified).toEqual({ kid: privateJwk.kid, iss: ISS, iat: expect.any(Number) });
    expect(signature.split('.')[1]).toBe('');
  });

  it('refuses a missing or empty header as Missing', async () => {
    expect((await refusal(undefined)).code).toBe(MessageSignatureErrorCode.Missing);
    expect((await refusal('')).code).toBe(MessageSignatureErrorCode.Missing);
  });

  it.each([
    ['not three parts', 'abc.def'],
    ['an attached payload', 'eyJhbGciOiJQUzI1NiJ9.eyJhIjoxfQ.c2ln'],
    ['characters outside base64url', 'ey+J..abc'],
    ['a header that is not JSON', `${base64url.encode('not json')}..c2ln`],
    ['a header that is a JSON array', `${base64url.encode('[1]')}..c2ln`],
    ['an empty signature part', `${base64url.encode('{"alg":"PS256"}')}..`],
  ])('refuses %s as Malformed', async (_case, value) => {
    expect((await refusal(value)).code).toBe(MessageSignatureErrorCode.Malformed);
  });

  it('refuses a header sent twice as Malformed', async () => {
    const signature = await signWithHeader(obHeader());
    expect((await refusal([signature, signature])).code).toBe(MessageSignatureErrorCode.Malformed);
  });

  it.each(['kid', 'typ', 'cty', 'crit', OB_IAT, OB_ISS, OB_TAN])('refuses a header without %s as MissingClaim naming it', async (claim) => {
    const header = without(obHeader(), claim);
    // jose will not sign a crit member that is absent: the OB claims stay listed only when present.
    if (claim !== 'crit') header.crit = OB_CRITICAL_CLAIMS.filter((c) => c !== claim);
    const error = await refusal(await signWithHeader(header));
    expect(error.code).toBe(MessageSignatureErrorCode.MissingClaim);
    expect(error.claim).toBe(claim);
  });

  it.each<[string, Record<string, unknown>]>([
    ['alg', { alg: 'RS256' }],
    ['typ', { typ: 'JWT' }],
    ['cty', { cty: 'text/plain' }],
    ['crit', { crit: [OB_IAT, OB_ISS] }],
    ['b64', { b64: true, crit: [...OB_CRITICAL_CLAIMS, 'b64'] }],
    [OB_IAT, { [OB_IAT]: Math.floor(Date.now() / 1000) + 3600 }],
    [OB_IAT, { [OB_IAT]: '1700000000' }],
    [OB_ISS, { [OB_ISS]: tppMessageIssuer('another-org', 'sandbox-tpp') }],
    [OB_TAN, { [OB_TAN]: 'openbanking.org.uk' }],
    ['kid', { kid: 'unknown-kid' }],
  ])('refuses a wrong %s as InvalidClaim naming it', async (claim, overrides) => {
    // RS256 shares the PS256 key type; each case is otherwise a correct signature.
    const alg = (overrides.alg as string | undefined) ?? 'PS256';
    const key = alg === 'RS256' ? ((await importJWK({ ...privateJwk, alg: 'RS256' }, 'RS256')) as CryptoKey) : privateKey;
    const error = await refusal(await signWithHeader(obHeader(overrides), BODY, key));
    expect(error.code).toBe(MessageSignatureErrorCode.InvalidClaim);
    expect(error.claim).toBe(claim);
  });

  it('refuses an iat older than the maximum age (300 s and the clock tolerance by default), and takes one just inside it', async () => {
    // Until 7 December 2026 any past iat passed: a captured signed body could be sent again for ever.
    const now = Math.floor(Date.now() / 1000);
    for (const iat of [1, now - 5 * 365 * 86_400, now - 361]) {
      const error = await refusal(await signWithHeader(obHeader({ [OB_IAT]: iat })));
      expect({ code: error.code, claim: error.claim }).toEqual({ code: MessageSignatureErrorCode.InvalidClaim, claim: OB_IAT });
    }
    await expect(verifyMessageSignature(await signWithHeader(obHeader({ [OB_IAT]: now - 300 })), BODY, expectations())).resolves.toMatchObject({ iat: now - 300 });
    const shorter = await refusal(await signWithHeader(obHeader({ [OB_IAT]: now - 100 })), BODY, expectations({ maxAgeSeconds: 30 }));
    expect(shorter.claim).toBe(OB_IAT);
  });

  it('refuses every iss when the signer has none (a registration without an organisation or software id)', async () => {
    // Until 7 December 2026 the API expected `unregistered:<client_id>` of such a TPP, which it could sign.
    for (const iss of ['unregistered:sandbox-tpp', ISS, '']) {
      const error = await refusal(await signWithHeader(obHeader({ [OB_ISS]: iss })), BODY, expectations({ iss: null }));
      expect({ code: error.code, claim: error.claim }).toEqual({ code: MessageSignatureErrorCode.InvalidClaim, claim: OB_ISS });
    }
  });

  it('refuses a protected header that gives a member twice as Malformed, even correctly signed', async () => {
    // Last-wins (JSON.parse, jose) read it as PS256 and it verified until 7 December 2026; first-wins tools read alg none.
    const headerText = `{"alg":"none","kid":"other",${JSON.stringify(obHeader()).slice(1)}`;
    const protectedHeader = base64url.encode(headerText);
    const input = new TextEncoder().encode(`${protectedHeader}.${base64url.encode(BODY)}`);
    const signature = new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, privateKey, input));
    const error = await refusal(`${protectedHeader}..${base64url.encode(signature)}`);
    expect({ code: error.code, message: error.message }).toEqual({ code: MessageSignatureErrorCode.Malformed, message: 'The protected header of x-jws-signature gives a member twice' });
  });

  it('refuses a signature over other bytes as InvalidSignature', async () => {
    const signature = await signWithHeader(obHeader());
    // The same JSON with one space more: the body is verified as bytes, never as parsed JSON.
    const error = await refusal(signature, BODY.replace('{"Data"', '{ "Data"'));
    expect(error.code).toBe(MessageSignatureErrorCode.InvalidSignature);
  });

  it('refuses a signature made with another key of the same kid as InvalidSignature', async () => {
    // RSA 2048: key generation under load must not eat the test's time.
    const { privateKey: otherKey } = await generateKeyPair('PS256');
    const error = await refusal(await signWithHeader(obHeader(), BODY, otherKey));
    expect(error.code).toBe(MessageSignatureErrorCode.InvalidSignature);
  });

  it('refuses a registered key too short for PS256 as InvalidClaim kid', async () => {
    const { privateKey: weak, publicKey: weakPublic } = await weakKeyPair();
    const error = await refusal(await signWithHeaderUnchecked(obHeader(), weak), BODY, expectations({ key: async () => weakPublic }));
    expect(error.code).toBe(MessageSignatureErrorCode.InvalidClaim);
    expect(error.claim).toBe('kid');
  });
});

/** An RSA-PSS pair of 1024 bits: jose refuses to make one, WebCrypto does. */
async function weakKeyPair(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  const algorithm = { name: 'RSA-PSS', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  return crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
}

/** jose refuses to sign with a short key too; WebCrypto does it, as an attacker would. */
async function signWithHeaderUnchecked(header: Record<string, unknown>, key: CryptoKey): Promise<string> {
  const protectedHeader = base64url.encode(JSON.stringify(header));
  const input = new TextEncoder().encode(`${protectedHeader}.${base64url.encode(BODY)}`);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, key, input));
  return `${protectedHeader}..${base64url.encode(signature)}`;
}

describe('message signatures and jose agree', () => {
  it('on generated bodies: ours verify under jose, jose-signed ones verify under ours, and any changed byte fails both', async () => {
    const crit = Object.fromEntries(OB_CRITICAL_CLAIMS.map((c) => [c, true]));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 512 }), fc.nat(), fc.boolean(), async (body, at, ours) => {
        const signature = ours ? await signMessage(body, { kid: privateJwk.kid!, iss: ISS, tan: TAN, key: privateKey }) : await signWithHeader(obHeader(), body);
        const [protectedHeader, , sig] = signature.split('.');
        const attached = `${protectedHeader}.${base64url.encode(body)}.${sig}`;
        await expect(compactVerify(attached, publicKey, { algorithms: ['PS256'], crit })).resolves.toBeDefined();
        await expect(verifyMessageSignature(signature, body, expectations())).resolves.toMatchObject({ kid: privateJwk.kid });

        const changed = body.length === 0 ? new Uint8Array([1]) : body.map((b, i) => (i === at % body.length ? b ^ 0x01 : b));
        const changedAttached = `${protectedHeader}.${base64url.encode(changed)}.${sig}`;
        await expect(compactVerify(changedAttached, publicKey, { algorithms: ['PS256'], crit })).rejects.toThrow();
        expect((await refusal(signature, changed)).code).toBe(MessageSignatureErrorCode.InvalidSignature);
      }),
      { numRuns: 25 },
    );
  });
});

describe('isMessageSigningJwk', () => {
  it('takes RSA keys of 2048 bits or more for PS256 signatures only', async () => {
    expect(isMessageSigningJwk(publicJwkOf(privateJwk))).toBe(true);
    expect(isMessageSigningJwk({ ...publicJwkOf(privateJwk), alg: 'RS256' })).toBe(false);
    expect(isMessageSigningJwk({ ...publicJwkOf(privateJwk), use: 'enc' })).toBe(false);
    const ec = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey);
    expect(isMessageSigningJwk(ec)).toBe(false);
    const short = await exportJWK((await weakKeyPair()).publicKey);
    expect(isMessageSigningJwk(short)).toBe(false);
  });

  it('never leaves a private member in a public JWK', () => {
    expect(Object.keys(publicJwkOf(privateJwk)).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });
});
