import { constants, createHash, createPublicKey, KeyObject, verify } from 'node:crypto';

/**
 * Compact JWS (RFC 7515) checks for the resource server's hot path, on node:crypto key objects: parsing
 * and key fitness on the event loop, the signature arithmetic on libuv's thread pool (node:crypto's
 * callback form), no key import per request for keys seen before. Only the algorithms the authorization
 * server signs with (PS256, ES256: its FAPI_ALGS); no EdDSA, no `crit`, no JWE, no `none`.
 */

export type JwsAlgorithm = 'PS256' | 'ES256';

export const JWS_ALGORITHMS: readonly JwsAlgorithm[] = ['PS256', 'ES256'];

// A key costs what its size and exponent make it cost: RSA above 4096 bits or with a large e multiplies
// the verify time on the thread pool every request shares. RSA 2048 to 4096 bits with e = 65537, or P-256.
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 4096;
const RSA_EXPONENT = 'AQAB'; // 65537, base64url, minimal octets (RFC 7518 6.3.1.2)
/** What a refused key is told: the fitness rule in words. */
export const KEY_FITNESS_RULE = 'the key must be EC P-256, or RSA of 2048 to 4096 bits with e = 65537';

/** Why a JWS was refused; the message names the part at fault and never echoes the token. */
export class JwsError extends Error {
  override name = 'JwsError';
}

export interface ParsedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  alg: JwsAlgorithm;
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)): what the signature covers. */
  signingInput: string;
  signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function decodeJsonPart(part: string, name: string): Record<string, unknown> {
  if (!BASE64URL.test(part)) throw new JwsError(`the ${name} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwsError(`the ${name} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JwsError(`the ${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Splits and decodes a compact JWS, refusing anything but three parts, an allowed alg and no `crit`. */
export function parseCompactJws(value: string): ParsedJws {
  const first = value.indexOf('.');
  const second = first < 0 ? -1 : value.indexOf('.', first + 1);
  if (first < 0 || second < 0 || value.indexOf('.', second + 1) >= 0) throw new JwsError('not a compact JWS');
  const encodedSignature = value.slice(second + 1);
  if (!BASE64URL.test(encodedSignature)) throw new JwsError('the signature is not base64url');
  const header = decodeJsonPart(value.slice(0, first), 'header');
  const claims = decodeJsonPart(value.slice(first + 1, second), 'payload');
  const alg = header.alg;
  if (typeof alg !== 'string' || !(JWS_ALGORITHMS as readonly string[]).includes(alg)) throw new JwsError('the alg is not allowed');
  if (header.crit !== undefined) throw new JwsError('no crit header parameter is supported');
  return { header, claims, alg: alg as JwsAlgorithm, signingInput: value.slice(0, second), signature: Buffer.from(encodedSignature, 'base64url') };
}

// What each key object can verify, worked out once per key (reading a key's details allocates).
const keyAlgorithms = new WeakMap<KeyObject, JwsAlgorithm | null>();

function algorithmOf(key: KeyObject): JwsAlgorithm | null {
  if (key.type !== 'public') return null;
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details?.modulusLength ?? 0;
      return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS && details?.publicExponent === 65537n ? 'PS256' : null;
    }
    case 'ec':
      return details?.namedCurve === 'prime256v1' ? 'ES256' : null;
    default:
      return null;
  }
}

/** Whether `key` is a public key of the kind `alg` needs (RSA 2048 to 4096 bits with e = 65537, P-256). */
export function keyFitsAlgorithm(key: KeyObject, alg: JwsAlgorithm): boolean {
  let fits = keyAlgorithms.get(key);
  if (fits === undefined) {
    fits = algorithmOf(key);
    keyAlgorithms.set(key, fits);
  }
  return fits === alg;
}

/**
 * node:crypto reads a key given with options ({ key, padding }) by probing it as a KeyObject and as a
 * CryptoKey, and each failed probe builds a TypeError with a stack trace that is then discarded: a third
 * of the cost of a PS256 check. The probe runs when the check is started and its error never leaves
 * node, so its stack is not captured.
 */
function withoutProbeStacks(start: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    start();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function derInteger(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const trimmed = value.subarray(start);
  // A set high bit would read as negative: DER prefixes a zero byte.
  return trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0x02, trimmed.length + 1, 0]), trimmed]) : Buffer.concat([Buffer.from([0x02, trimmed.length]), trimmed]);
}

/** An ECDSA P-256 signature from JWS form (r || s, 32 bytes each) to DER (SEQUENCE of two INTEGERs). */
export function p1363ToDer(signature: Buffer): Buffer {
  const body = Buffer.concat([derInteger(signature.subarray(0, 32)), derInteger(signature.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/**
 * Verifies the signature of a parsed JWS with `key`; rejects with a JwsError when the key does not fit or
 * the signature is wrong. The arithmetic (RSA-PSS, ECDSA) runs on libuv's thread pool, so the event loop
 * serves other requests meanwhile.
 */
export function verifyJwsSignature(jws: ParsedJws, key: KeyObject): Promise<void> {
  if (!keyFitsAlgorithm(key, jws.alg)) return Promise.reject(new JwsError(`the key does not fit ${jws.alg}`));
  // The JWS form of an ES256 signature (r || s) is 64 bytes; anything else cannot verify.
  if (jws.alg === 'ES256' && jws.signature.length !== 64) return Promise.reject(new JwsError('the signature does not verify'));
  const input = Buffer.from(jws.signingInput, 'ascii');
  return new Promise<void>((resolve, reject) => {
    const done = (error: Error | null, valid: boolean) => (!error && valid ? resolve() : reject(new JwsError('the signature does not verify')));
    switch (jws.alg) {
      case 'PS256':
        withoutProbeStacks(() => verify('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, jws.signature, done));
        break;
      case 'ES256':
        // As DER, so the key object goes in bare (see withoutProbeStacks).
        verify('sha256', input, key, p1363ToDer(jws.signature), done);
        break;
    }
  });
}

// RFC 7638: the required members of each key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};
// Members that only a private (or symmetric) key has: a DPoP proof must carry a public key only.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The RFC 7638 SHA-256 thumbprint of a public JWK (what `cnf.jkt` holds). */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty as string];
  if (!members) throw new JwsError('the jwk kty is not supported');
  const canonical: Record<string, unknown> = {};
  for (const member of members) {
    if (typeof jwk[member] !== 'string') throw new JwsError(`the jwk lacks ${member}`);
    canonical[member] = jwk[member];
  }
  return createHash('sha256').update(JSON.stringify(canonical)).digest('base64url');
}

/** Whether a JWK carries private or symmetric key material. */
export function hasPrivateMembers(jwk: Record<string, unknown>): boolean {
  return PRIVATE_MEMBERS.some((member) => jwk[member] !== undefined);
}

function base64urlOctets(value: unknown): Buffer | null {
  return typeof value === 'string' && BASE64URL.test(value) ? Buffer.from(value, 'base64url') : null;
}

/**
 * The algorithm a public JWK may verify, read from its members alone (no import, no arithmetic): ES256 for
 * EC P-256, PS256 for RSA of 2048 to 4096 bits with e = 65537; null for anything else (OKP, other curves,
 * other sizes or exponents).
 */
export function jwkAlgorithm(jwk: Record<string, unknown>): JwsAlgorithm | null {
  if (jwk.kty === 'EC') {
    const x = base64urlOctets(jwk.x);
    const y = base64urlOctets(jwk.y);
    return jwk.crv === 'P-256' && x?.length === 32 && y?.length === 32 ? 'ES256' : null;
  }
  if (jwk.kty === 'RSA') {
    if (jwk.e !== RSA_EXPONENT) return null;
    const n = base64urlOctets(jwk.n);
    // Minimal octets: a leading zero octet would hide the real size.
    if (!n || n.length === 0 || n[0] === 0) return null;
    const bits = (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
    return bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS ? 'PS256' : null;
  }
  return null;
}

/** A public key object from a fit JWK (see jwkAlgorithm) that holds no private part; throws on anything else. */
export function publicKeyFromJwk(jwk: Record<string, unknown>): KeyObject {
  if (hasPrivateMembers(jwk)) throw new JwsError('the jwk must hold a public key only');
  if (!THUMBPRINT_MEMBERS[jwk.kty as string]) throw new JwsError('the jwk kty is not supported');
  if (!jwkAlgorithm(jwk)) throw new JwsError(KEY_FITNESS_RULE);
  try {
    return createPublicKey({ key: jwk as never, format: 'jwk' });
  } catch {
    throw new JwsError('the jwk is not a valid key');
  }
}
