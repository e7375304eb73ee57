import { TppRole } from '@consentry/database';
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, JWK, JWTPayload, jwtVerify } from 'jose';

import { isTppRole } from '@consentry/tpps';
import { findUnstorableText } from '@consentry/validation';
import { RegistrationException, RegistrationExceptionCode } from './registration.exception.js';

/** A trusted software-statement directory: its public keys and, when pinned, its issuer. */
export interface TrustedDirectory {
  jwks: { keys: JWK[] };
  issuer?: string;
}

/** What a verified software statement says about the TPP's software (UK OB SSA claim names). */
export interface SoftwareStatement {
  /** The statement itself, kept with the registration. */
  jwt: string;
  issuer: string;
  /** Its `iat`: an update must not bring back a statement older than the one registered. */
  issuedAt: number;
  softwareId: string;
  clientName: string;
  orgName?: string;
  /** `org_id`: the organisation in the directory; with the software id, the `iss` of its message signatures. */
  orgId?: string;
  roles: TppRole[];
  redirectUris: string[];
  jwks?: { keys: JWK[] };
  /** `software_jwks_endpoint` (UK OB) or `software_jwks_uri`: where the TPP publishes its keys. */
  jwksUri?: string;
}

// A C0 or C1 control character.
const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F]/;
// FAPI 2.0 5.4.1: PS256 or ES256 signatures only; a directory is held to the same rule as a TPP.
const STATEMENT_ALGS = ['PS256', 'ES256'];
const SOFTWARE_ID = /^[A-Za-z0-9._-]{1,64}$/;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const CLOCK_TOLERANCE_SECONDS = 5;
const DAY_SECONDS = 24 * 3600;

function invalid(description: string): RegistrationException {
  return new RegistrationException(RegistrationExceptionCode.InvalidSoftwareStatement, description);
}

function stringArray(value: unknown, claim: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw invalid(`${claim} must be a non-empty array of strings`);
  }
  return [...new Set(value)];
}

function httpsUrl(value: string, claim: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`${claim} holds a value that is not a URL`);
  }
  if (url.protocol !== 'https:' || url.hash) throw invalid(`${claim} must hold https URLs without a fragment`);
  return value;
}

function publicKeySet(value: unknown): { keys: JWK[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && typeof (k as JWK).kty === 'string')) {
    throw invalid('software_jwks must be a JSON Web Key Set');
  }
  if (keys.some((k) => PRIVATE_MEMBERS.some((member) => member in (k as object)))) {
    throw invalid('software_jwks must hold public keys only');
  }
  return { keys: keys as JWK[] };
}

/**
 * Verifies software statements (RFC 7591 section 2.3) against the trusted directory's keys: a JWS with
 * PS256 or ES256, within its validity (`exp` required, `iat` at most SSA_MAX_AGE_DAYS ago), naming the
 * software, its roles, redirect URIs and keys. A bad
 * signature or issuer is `unapproved_software_statement`; anything else wrong is
 * `invalid_software_statement`.
 */
export class SoftwareStatementVerifier {
  private readonly keys: ReturnType<typeof createLocalJWKSet>;

  /** @param maxAgeDays SSA_MAX_AGE_DAYS: a statement older than this (by its `iat`) is refused, even before its `exp`. */
  constructor(
    private readonly directory: TrustedDirectory,
    private readonly maxAgeDays: number,
  ) {
    this.keys = createLocalJWKSet(directory.jwks);
  }

  async verify(statement: unknown): Promise<SoftwareStatement> {
    if (typeof statement !== 'string' || statement.length === 0) throw invalid('software_statement is required');
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(statement).alg;
    } catch {
      throw invalid('software_statement is not a JWT');
    }
    if (!alg || !STATEMENT_ALGS.includes(alg)) throw invalid('software_statement must be signed with PS256 or ES256');

    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(statement, this.keys, {
        algorithms: STATEMENT_ALGS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        // A statement without exp would be a credential for ever.
        requiredClaims: ['iss', 'iat', 'exp'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
        throw new RegistrationException(RegistrationExceptionCode.UnapprovedSoftwareStatement, 'software_statement is not signed by a trusted directory');
      }
      if (error instanceof joseErrors.JWTExpired) throw invalid('software_statement has expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw invalid(error.reason === 'missing' ? `software_statement claim ${error.claim} is required` : `software_statement claim ${error.claim} is invalid`);
      }
      throw invalid('software_statement could not be verified');
    }
    if (this.directory.issuer !== undefined && claims.iss !== this.directory.issuer) {
      throw new RegistrationException(RegistrationExceptionCode.UnapprovedSoftwareStatement, 'software_statement is issued by an untrusted directory');
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.iat! > now + CLOCK_TOLERANCE_SECONDS) throw invalid('software_statement is issued in the future');
    if (claims.iat! < now - this.maxAgeDays * DAY_SECONDS) throw invalid(`software_statement is older than ${this.maxAgeDays} days`);
    return this.readClaims(statement, claims);
  }

  private readClaims(jwt: string, claims: JWTPayload): SoftwareStatement {
    // Text PostgreSQL cannot store (U+0000, half a surrogate pair) anywhere in the claims is an unusable
    // statement, refused before anything is written (until 8 December 2026 it was a 500 at the insert).
    const unstorable = findUnstorableText(claims, 'software_statement');
    if (unstorable.length > 0) throw invalid(`${unstorable[0]!.Path} holds a character that cannot be used (U+0000, or half of a surrogate pair)`);
    const softwareId = claims.software_id;
    if (typeof softwareId !== 'string' || !SOFTWARE_ID.test(softwareId)) throw invalid('software_id must be 1-64 letters, digits, dots, dashes or underscores');
    const clientName = claims.software_client_name;
    if (typeof clientName !== 'string' || clientName.trim().length === 0 || clientName.length > 200) throw invalid('software_client_name is required');
    // Shown to PSUs and admins as one line, and a page cursor's key: no control character (tab, newline).
    if (CONTROL_CHARACTER.test(clientName)) throw invalid('software_client_name may not hold control characters');
    const roles = stringArray(claims.software_roles, 'software_roles');
    if (!roles.every(isTppRole)) throw invalid('software_roles may hold only AISP, PISP and CBPII');
    const redirectUris = stringArray(claims.software_redirect_uris, 'software_redirect_uris').map((uri) => httpsUrl(uri, 'software_redirect_uris'));
    const jwksUri = claims.software_jwks_endpoint ?? claims.software_jwks_uri;
    const hasJwks = claims.software_jwks !== undefined;
    const keySources = [claims.software_jwks, claims.software_jwks_endpoint, claims.software_jwks_uri].filter((v) => v !== undefined).length;
    if (keySources !== 1) throw invalid('software_statement must carry exactly one of software_jwks, software_jwks_endpoint and software_jwks_uri');
    const orgName = typeof claims.org_name === 'string' ? claims.org_name : undefined;
    if (claims.org_id !== undefined && (typeof claims.org_id !== 'string' || !SOFTWARE_ID.test(claims.org_id))) {
      throw invalid('org_id must be 1-64 letters, digits, dots, dashes or underscores');
    }
    const orgId = claims.org_id as string | undefined;
    return {
      jwt,
      issuer: claims.iss!,
      issuedAt: claims.iat!,
      softwareId,
      clientName: clientName.trim(),
      ...(orgName ? { orgName } : {}),
      ...(orgId ? { orgId } : {}),
      roles: roles as TppRole[],
      redirectUris,
      ...(hasJwks ? { jwks: publicKeySet(claims.software_jwks) } : { jwksUri: httpsUrl(String(jwksUri), 'software_jwks_endpoint') }),
    };
  }
}
