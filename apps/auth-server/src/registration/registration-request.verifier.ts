import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, JWTPayload, jwtVerify } from 'jose';

import { RedisReplayMarkers } from '../provider/replay-markers.js';
import { RegistrationException, RegistrationExceptionCode } from './registration.exception.js';
import { SoftwareStatement, SoftwareStatementVerifier } from './software-statement.verifier.js';

/** A registration request whose signature, claims and single use are checked. */
export interface VerifiedRegistrationRequest {
  /** The client metadata the TPP asks for: the JWT's claims without its envelope (iss, aud, iat, exp, jti, nbf). */
  metadata: Record<string, unknown>;
  statement: SoftwareStatement;
}

// FAPI 2.0 5.4.1: PS256 or ES256, as for every other JWS a TPP sends.
const REQUEST_ALGS = ['PS256', 'ES256'];
const ENVELOPE_CLAIMS = ['iss', 'aud', 'iat', 'exp', 'jti', 'nbf'];
const CLOCK_TOLERANCE_SECONDS = 5;
// A request is made to be sent at once: a bounded lifetime also bounds how long its jti marker is kept.
const MAX_LIFETIME_SECONDS = 60 * 60;
const JWKS_FETCH_TIMEOUT_MS = 5000;

function invalidRequest(description: string): RegistrationException {
  return new RegistrationException(RegistrationExceptionCode.InvalidClientMetadata, description);
}

/**
 * The registration request of the UK OB DCR profile: a JWT (`application/jwt`) whose claims are the
 * client metadata and whose `software_statement` claim carries the directory's statement. It must be
 * signed (PS256/ES256) with a key of that statement's own JWKS, so a copy of a statement is useless
 * without the TPP's private key; `iss` is the software id, `aud` this issuer, `iat`, `exp` and `jti` are
 * required and the `jti` is single-use (one Redis `SET NX` until `exp`, shared by every instance).
 * Anything wrong with the request itself is `invalid_client_metadata`; with the statement, the
 * statement verifier's errors.
 */
export class RegistrationRequestVerifier {
  constructor(
    private readonly statements: SoftwareStatementVerifier,
    private readonly replayMarkers: RedisReplayMarkers,
  ) {}

  async verify(body: unknown, issuer: string): Promise<VerifiedRegistrationRequest> {
    if (typeof body !== 'string' || body.length === 0) throw invalidRequest('the request body must be a signed JWT (Content-Type: application/jwt)');
    let alg: string | undefined;
    let unverified: JWTPayload;
    try {
      alg = decodeProtectedHeader(body).alg;
      unverified = decodeJwt(body);
    } catch {
      throw invalidRequest('the request body is not a JWT');
    }
    if (!alg || !REQUEST_ALGS.includes(alg)) throw invalidRequest('the registration request must be signed with PS256 or ES256');
    // The statement is checked first: it is what says which keys may sign the request.
    const statement = await this.statements.verify(unverified.software_statement);

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(body, this.keysOf(statement), {
        algorithms: REQUEST_ALGS,
        issuer: statement.softwareId,
        audience: issuer,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['iss', 'aud', 'iat', 'exp', 'jti'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
        throw invalidRequest('the registration request is not signed by a key of the software statement');
      }
      if (error instanceof joseErrors.JWTExpired) throw invalidRequest('the registration request has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw invalidRequest(error.reason === 'missing' ? `the registration request claim ${error.claim} is required` : `the registration request claim ${error.claim} is invalid`);
      }
      // A remote key set that cannot be fetched (refused, timed out, not a JWKS): the TPP's to fix.
      if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || (statement.jwksUri !== undefined && !(error instanceof joseErrors.JOSEError))) {
        throw invalidRequest('the software statement\'s JWKS could not be read');
      }
      throw invalidRequest('the registration request could not be verified');
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.iat! > now + CLOCK_TOLERANCE_SECONDS) throw invalidRequest('the registration request is issued in the future');
    if (claims.exp! > now + MAX_LIFETIME_SECONDS) throw invalidRequest(`the registration request must expire within ${MAX_LIFETIME_SECONDS} seconds`);
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) throw invalidRequest('the registration request claim jti is invalid');
    // Namespaced: a registration jti never collides with a client assertion's or a DPoP proof's.
    if (!(await this.replayMarkers.claim(`register:${statement.softwareId}`, claims.jti, claims.exp!))) {
      throw invalidRequest('the registration request has already been used (jti)');
    }
    const metadata = Object.fromEntries(Object.entries(claims).filter(([name]) => !ENVELOPE_CLAIMS.includes(name)));
    return { metadata, statement };
  }

  private keysOf(statement: SoftwareStatement): ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet> {
    if (statement.jwks) return createLocalJWKSet(statement.jwks);
    // The directory vouches for this https URL (the statement is verified): it is not the TPP's to choose.
    return createRemoteJWKSet(new URL(statement.jwksUri!), { timeoutDuration: JWKS_FETCH_TIMEOUT_MS });
  }
}
