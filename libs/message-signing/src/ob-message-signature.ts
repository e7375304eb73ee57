import { findDuplicateMember } from '@consentry/validation';
import { base64url, errors as joseErrors, flattenedVerify, FlattenedSign, type CryptoKey, type KeyObject } from 'jose';

/** The UK OB JOSE header claims of a message signature (v3.1.4 onwards), each named in `crit`. */
export const OB_IAT = 'http://openbanking.org.uk/iat';
export const OB_ISS = 'http://openbanking.org.uk/iss';
export const OB_TAN = 'http://openbanking.org.uk/tan';
export const OB_CRITICAL_CLAIMS = [OB_IAT, OB_ISS, OB_TAN] as const;

/** The HTTP header that carries a message signature, on requests and on responses. */
export const MESSAGE_SIGNATURE_HEADER = 'x-jws-signature';

/** The organisation the sandbox directory registers its TPPs under (the `{organisation_id}` of their `iss`). */
export const SANDBOX_ORGANISATION_ID = 'consentry-sandbox-org';

/** UK OB: message signatures are PS256, and nothing else. */
export const MESSAGE_SIGNING_ALG = 'PS256';

// jose checks each crit member against this list: an OB claim is understood, any other is refused.
const CRIT_RECOGNISED: Record<string, boolean> = Object.fromEntries(OB_CRITICAL_CLAIMS.map((claim) => [claim, true]));
// A signature dated a little ahead of our clock is accepted: the TPP's clock may run slightly fast.
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
// A signature made longer ago than this is refused: a captured signed body cannot be sent again for ever
// (under a new x-idempotency-key, which the signature does not cover) by whoever holds a token and its
// DPoP key but not the TPP's signing key. A retry after it is signed again: the same body and key still
// meet the first answer.
const DEFAULT_MAX_AGE_SECONDS = 300;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
// RFC 7518 3.5 / FAPI: RSA keys of at least 2048 bits.
const MIN_RSA_BITS = 2048;

/** Why a message signature was refused; the API maps each to its U0xx code (U019, U018, U017, U016, U015). */
export enum MessageSignatureErrorCode {
  /** No x-jws-signature header (U019 Signature.Missing). */
  Missing = 'Missing',
  /** Not a detached JWS with a JSON protected header (U018 Signature.Malformed). */
  Malformed = 'Malformed',
  /** A mandatory header claim is absent (U017 Signature.MissingClaim); `claim` names it. */
  MissingClaim = 'MissingClaim',
  /** A header claim has a value we refuse, or `kid` names no registered key (U016 Signature.InvalidClaim). */
  InvalidClaim = 'InvalidClaim',
  /** A well-formed header whose signature does not verify over the body (U015 Signature.Invalid). */
  InvalidSignature = 'InvalidSignature',
}

/** A refused message signature. The message never quotes the header or the body. */
export class MessageSignatureError extends Error {
  override name = 'MessageSignatureError';

  constructor(
    readonly code: MessageSignatureErrorCode,
    message: string,
    /** The header claim at fault (MissingClaim, InvalidClaim). */
    readonly claim?: string,
  ) {
    super(message);
  }
}

/** Who signs and how they name themselves: the OB claims and the key. */
export interface MessageSigner {
  kid: string;
  /** `{organisation_id}/{software_id}` for a TPP; the bank's own identifier on responses. */
  iss: string;
  /** The trust anchor that vouches for `kid`. */
  tan: string;
  /** The PS256 private key. */
  key: CryptoKey | KeyObject;
}

/** The protected header of a UK OB message signature. */
export type MessageSignatureHeader = {
  alg: typeof MESSAGE_SIGNING_ALG;
  kid: string;
  typ: 'JOSE';
  cty: 'application/json';
  [OB_IAT]: number;
  [OB_ISS]: string;
  [OB_TAN]: string;
  crit: string[];
};

/** The OB header for `signer` at `iat` (seconds). */
export function messageSignatureHeader(signer: Pick<MessageSigner, 'kid' | 'iss' | 'tan'>, iat: number): MessageSignatureHeader {
  return { alg: MESSAGE_SIGNING_ALG, kid: signer.kid, typ: 'JOSE', cty: 'application/json', [OB_IAT]: iat, [OB_ISS]: signer.iss, [OB_TAN]: signer.tan, crit: [...OB_CRITICAL_CLAIMS] };
}

function bytesOf(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

/**
 * Signs `body` (the exact bytes sent) as a UK OB detached JWS: `<protected header>..<signature>`, with
 * the payload left out and no `b64` member (OB v3.1.4+).
 */
export async function signMessage(body: Uint8Array | string, signer: MessageSigner, now: () => number = Date.now): Promise<string> {
  const header = messageSignatureHeader(signer, Math.floor(now() / 1000));
  const jws = await new FlattenedSign(bytesOf(body)).setProtectedHeader(header).sign(signer.key, { crit: CRIT_RECOGNISED });
  return `${jws.protected}..${jws.signature}`;
}

/** What a request's signature must say, and the keys it may be signed with. */
export interface MessageSignatureExpectations {
  /**
   * The sender as its directory names it: `{organisation_id}/{software_id}` for a TPP; null when its
   * registration names no organisation or software, and no signature of it can be accepted.
   */
  iss: string | null;
  /** The trust anchor this deployment accepts. */
  tan: string;
  /** The sender's registered public key of this `kid` (undefined: none). */
  key(kid: string): Promise<CryptoKey | KeyObject | undefined>;
  now?: () => number;
  clockToleranceSeconds?: number;
  /** How old a signature's iat may be, in seconds (default 300). */
  maxAgeSeconds?: number;
}

/** A signature that verified: who signed it and when. */
export interface VerifiedMessageSignature {
  kid: string;
  iss: string;
  iat: number;
}

function malformed(message: string): MessageSignatureError {
  return new MessageSignatureError(MessageSignatureErrorCode.Malformed, message);
}

function missingClaim(claim: string): MessageSignatureError {
  return new MessageSignatureError(MessageSignatureErrorCode.MissingClaim, `The x-jws-signature header lacks the ${claim} claim`, claim);
}

function invalidClaim(claim: string, message: string): MessageSignatureError {
  return new MessageSignatureError(MessageSignatureErrorCode.InvalidClaim, message, claim);
}

/** Splits a detached compact JWS and parses its protected header, or says why it is malformed. */
function parseDetached(value: string | string[] | undefined): { protectedHeader: string; signature: string; header: Record<string, unknown> } {
  if (value === undefined || value === '') {
    throw new MessageSignatureError(MessageSignatureErrorCode.Missing, 'The x-jws-signature header is required');
  }
  // A repeated header arrives as an array: which of them would be meant?
  if (Array.isArray(value)) throw malformed('The x-jws-signature header must be sent once');
  const parts = value.split('.');
  if (parts.length !== 3) throw malformed('The x-jws-signature header must be a compact JWS');
  const [protectedHeader, payload, signature] = parts as [string, string, string];
  if (payload !== '') throw malformed('The x-jws-signature header must be a detached JWS: its payload part must be empty');
  if (protectedHeader === '' || signature === '' || !BASE64URL.test(protectedHeader) || !BASE64URL.test(signature)) {
    throw malformed('The x-jws-signature header must hold a base64url protected header and signature');
  }
  let header: unknown;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(protectedHeader));
    header = JSON.parse(decoded);
  } catch {
    throw malformed('The protected header of x-jws-signature is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw malformed('The protected header of x-jws-signature is not a JSON object');
  // One meaning: a member given twice is read last-wins by JSON.parse and jose, but first-wins by other
  // tools, and a stored signature would mean different things to each (until 7 December 2026 it was taken).
  if (findDuplicateMember(decoded)) throw malformed('The protected header of x-jws-signature gives a member twice');
  return { protectedHeader, signature, header: header as Record<string, unknown> };
}

/** Checks the header's claims in a fixed order: first every missing one (U017), then every wrong value (U016). */
function checkClaims(header: Record<string, unknown>, expected: MessageSignatureExpectations): VerifiedMessageSignature {
  for (const claim of ['alg', 'kid', 'typ', 'cty', 'crit', OB_IAT, OB_ISS, OB_TAN]) {
    if (header[claim] === undefined || header[claim] === null) throw missingClaim(claim);
  }
  if (header.alg !== MESSAGE_SIGNING_ALG) throw invalidClaim('alg', 'The x-jws-signature header must be signed with PS256');
  if (typeof header.kid !== 'string' || header.kid === '') throw invalidClaim('kid', 'The kid of x-jws-signature must be a non-empty string');
  if (header.typ !== 'JOSE') throw invalidClaim('typ', 'The typ of x-jws-signature must be JOSE');
  if (header.cty !== 'application/json') throw invalidClaim('cty', 'The cty of x-jws-signature must be application/json');
  // OB v3.1.4+: the payload is base64url-encoded as usual; the b64 member is no longer sent.
  if (header.b64 !== undefined) throw invalidClaim('b64', 'The x-jws-signature header must not carry b64');
  const crit = header.crit;
  if (!Array.isArray(crit) || crit.length !== OB_CRITICAL_CLAIMS.length || !OB_CRITICAL_CLAIMS.every((claim) => crit.includes(claim))) {
    throw invalidClaim('crit', `The crit of x-jws-signature must list exactly ${OB_CRITICAL_CLAIMS.join(', ')}`);
  }
  const iat = header[OB_IAT];
  const now = Math.floor((expected.now ?? Date.now)() / 1000);
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat <= 0) throw invalidClaim(OB_IAT, `${OB_IAT} must be a time in seconds since the epoch`);
  const tolerance = expected.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
  if (iat > now + tolerance) throw invalidClaim(OB_IAT, `${OB_IAT} must not be in the future`);
  const maxAge = expected.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  if (iat < now - maxAge - tolerance) throw invalidClaim(OB_IAT, `${OB_IAT} must be within the last ${maxAge} seconds`);
  if (expected.iss === null || header[OB_ISS] !== expected.iss) throw invalidClaim(OB_ISS, `${OB_ISS} must name the signer as its directory registers it`);
  if (header[OB_TAN] !== expected.tan) throw invalidClaim(OB_TAN, `${OB_TAN} must be ${expected.tan}`);
  return { kid: header.kid, iss: expected.iss, iat };
}

/**
 * Verifies a UK OB detached message signature over `body`, the exact bytes received. Throws a
 * MessageSignatureError whose code says which OB error applies; the signature itself is checked by
 * jose (PS256 only, the OB claims as recognised `crit` members).
 */
export async function verifyMessageSignature(
  value: string | string[] | undefined,
  body: Uint8Array | string,
  expected: MessageSignatureExpectations,
): Promise<VerifiedMessageSignature> {
  const { protectedHeader, signature, header } = parseDetached(value);
  const verified = checkClaims(header, expected);
  const key = await expected.key(verified.kid);
  if (!key) throw invalidClaim('kid', 'The kid of x-jws-signature names no signing key registered for this client');
  try {
    await flattenedVerify({ protected: protectedHeader, payload: base64url.encode(bytesOf(body)), signature }, key, {
      algorithms: [MESSAGE_SIGNING_ALG],
      crit: CRIT_RECOGNISED,
    });
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new MessageSignatureError(MessageSignatureErrorCode.InvalidSignature, 'The x-jws-signature does not verify over the request body');
    }
    // A registered key unfit for PS256 (too short, not RSA) names the kid as the claim at fault.
    if (error instanceof TypeError || error instanceof joseErrors.JOSENotSupported) {
      throw invalidClaim('kid', 'The kid of x-jws-signature names a key unfit for PS256');
    }
    if (error instanceof joseErrors.JWSInvalid) throw malformed('The x-jws-signature header is not a valid JWS');
    throw error;
  }
  return verified;
}

/** Whether a public JWK can verify OB message signatures (RSA, at least 2048 bits, PS256 or no alg, use sig or none). */
export function isMessageSigningJwk(jwk: { kty?: unknown; n?: unknown; alg?: unknown; use?: unknown }): boolean {
  if (jwk.kty !== 'RSA' || typeof jwk.n !== 'string') return false;
  if (jwk.alg !== undefined && jwk.alg !== MESSAGE_SIGNING_ALG) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  // Leading zero bytes are not sent in a JWK modulus, so its length in bits is its size.
  return base64url.decode(jwk.n).length * 8 >= MIN_RSA_BITS;
}
