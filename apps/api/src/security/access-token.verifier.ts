import { createHash, KeyObject } from 'node:crypto';

import type { ApiConfig } from '@consentry/config';
import { ACCESS_TOKEN_GRANT_CLAIM } from '@consentry/consents';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import * as oauth from 'oauth4webapi';

import { API_CONFIG } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { singleHeader } from '../http/single-header.js';
import {
  hasPrivateMembers,
  jwkAlgorithm,
  jwkThumbprint,
  JwsAlgorithm,
  JwsError,
  JWS_ALGORITHMS,
  KEY_FITNESS_RULE,
  ParsedJws,
  parseCompactJws,
  publicKeyFromJwk,
  verifyJwsSignature,
} from './compact-jws.js';
import { IssuerKeySet, JwksUnavailableError } from './issuer-key-set.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';

/** Claims of a validated access token and DPoP proof that the API relies on. */
export interface AccessTokenClaims {
  clientId: string;
  scopes: string[];
  consentId: string | null;
  jkt: string;
  /** The token's own jti (a revoked token is marked by it). */
  tokenJti: string;
  /** The grant the token was issued under (consent-bound tokens), compared with the consent's live grant. */
  grantId: string | null;
  /** The validated proof's jti and iat: the jti still has to be claimed against replay. */
  proofJti: string;
  proofIssuedAt: number;
}

/**
 * Where a DPoP proof's public key is imported. Exported so a test can count the imports: a proof's key
 * must never be imported (nor its signature started) for a token whose signature has not verified.
 */
export const dpopKeyImport = {
  importKey(jwk: Record<string, unknown>): KeyObject {
    return publicKeyFromJwk(jwk);
  },
};

// Discovery rarely changes; keys are refetched on an unknown kid (rotation) by the IssuerKeySet.
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;
/** Leeway for exp and nbf of access tokens (seconds), as oauth4webapi allows. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** How old a proof's iat may be (seconds); the replay cache keeps a jti this long past its iat. */
export const DPOP_PROOF_WINDOW_SECONDS = 60;
/** How far ahead of now a proof's iat may lie (seconds): clock skew only. The API issues no DPoP nonces. */
export const DPOP_PROOF_MAX_FUTURE_SECONDS = 5;
/** The algorithms the authorization server signs access tokens with (its FAPI_ALGS), as this verifier supports them. */
const ACCESS_TOKEN_ALGORITHMS: readonly JwsAlgorithm[] = JWS_ALGORITHMS;
const ACCESS_TOKEN_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'iat', 'jti', 'client_id', 'cnf'] as const;
const PROOF_CLAIMS = ['iat', 'jti', 'ath', 'htm', 'htu'] as const;
// DPoP public keys seen recently, by thumbprint: a TPP signs every proof with the same key.
const PROOF_KEY_CACHE_SIZE = 10_000;

interface Issuer {
  issuer: string;
  keys: IssuerKeySet;
  /** dpop_signing_alg_values_supported, intersected with what this verifier supports. */
  proofAlgorithms: readonly JwsAlgorithm[];
}

function invalidToken(reason: string): SecurityException {
  return new SecurityException(SecurityExceptionCode.InvalidAccessToken, `The access token is not valid (${reason})`, 'Authorization');
}

/** The Authorization header itself is unusable (no token can be read from it). */
function invalidAuthorization(message: string): SecurityException {
  return new SecurityException(SecurityExceptionCode.InvalidAccessToken, message, 'Authorization');
}

function invalidProof(reason: string): SecurityException {
  return new SecurityException(SecurityExceptionCode.InvalidDpopProof, `The DPoP proof is not valid (${reason})`, 'DPoP');
}

function normalizeHtu(value: string): string | null {
  try {
    const url = new URL(value);
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return null;
  }
}

/** A JWS whose claims passed their checks, with its signature check under way (rejects with a JwsError). */
interface CheckedJws {
  claims: Record<string, unknown>;
  signature: Promise<void>;
}

/** A JwsError's message names the part at fault; anything else is reported as the signature. */
function refusalReason(error: unknown): string {
  return error instanceof JwsError ? error.message : 'signature';
}

function missing(claims: Record<string, unknown>, names: readonly string[]): string | undefined {
  return names.find((name) => claims[name] === undefined);
}

/**
 * Validates `Authorization: DPoP <jwt>` and its DPoP proof (RFC 9068, RFC 9449) against the authorization
 * server's discovery and JWKS: for the token its signature (PS256 or ES256, the algorithms the server
 * signs with), typ at+jwt, iss, aud (this API), exp, nbf and the claims we rely on; then, only once the
 * token's signature has verified, the proof: an advertised alg (dpop_signing_alg_values_supported), a fit
 * public jwk (P-256, or RSA 2048 to 4096 bits with e = 65537), typ dpop+jwt, now - 60 s <= iat <= now + 5 s,
 * htm, htu, ath, the token's cnf.jkt binding, and its signature. Signatures are checked with node key
 * objects on libuv's thread pool; the caller claims the proof's jti.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly logger = new Logger(AccessTokenVerifier.name);
  private discovered: { issuer: Issuer; at: number } | null = null;
  private inflight: Promise<Issuer> | null = null;
  private readonly insecure: boolean;
  private readonly proofKeys = new Map<string, KeyObject>();
  private discoveredJwksUri: string | null = null;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly publicUrl: PublicUrl,
  ) {
    // Plain http to the authorization server only outside production (local sandbox, tests).
    this.insecure = config.mode !== 'production' && new URL(config.authServerUrl).protocol === 'http:';
  }

  async verify(request: FastifyRequest): Promise<AccessTokenClaims> {
    // Node keeps only the first of two Authorization lines, and joins two DPoP lines with ", ": counted on
    // the raw lines, either repeated is refused (RFC 9449 4.3: not more than one DPoP header).
    const authorization = singleHeader(request, 'authorization', () => invalidAuthorization('The Authorization header must be sent once'));
    if (!authorization) throw new SecurityException(SecurityExceptionCode.MissingAccessToken, 'An Authorization header is required', 'Authorization');
    // An auth scheme's name is case-insensitive (RFC 9110 §11.1): `dpop` is DPoP; one or more spaces follow it (§11.4).
    const scheme = /^DPoP +(\S+)$/i.exec(authorization);
    if (!scheme) throw invalidAuthorization('Authorization must be "DPoP <access token>"');
    const proof = singleHeader(request, 'dpop', () => invalidProof('the DPoP header must be sent once'));
    if (proof === undefined || proof.length === 0) {
      throw new SecurityException(SecurityExceptionCode.MissingDpopProof, 'A DPoP proof header is required', 'DPoP');
    }
    const issuer = await this.issuer();
    const token = scheme[1]!;
    const now = Math.floor(Date.now() / 1000);
    const checkedToken = await this.checkAccessToken(issuer, token, now);
    const claims = checkedToken.claims;
    const jkt = (claims.cnf as { jkt: string }).jkt;
    // The token's signature first: no proof key is imported and no proof signature started for a token
    // that has not verified (a forged token must not buy an attacker the cost of a proof check).
    try {
      await checkedToken.signature;
    } catch (error) {
      throw invalidToken(refusalReason(error));
    }
    const checkedProof = this.checkProof(issuer, proof, request, token, jkt, now);
    try {
      await checkedProof.signature;
    } catch (error) {
      throw invalidProof(refusalReason(error));
    }
    const dpop = checkedProof.claims;
    const intent = claims.openbanking_intent_id;
    return {
      clientId: claims.client_id as string,
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
      consentId: typeof intent === 'string' && intent.length > 0 ? intent : null,
      tokenJti: claims.jti as string,
      grantId: typeof claims[ACCESS_TOKEN_GRANT_CLAIM] === 'string' ? (claims[ACCESS_TOKEN_GRANT_CLAIM] as string) : null,
      jkt,
      proofJti: dpop.jti as string,
      proofIssuedAt: dpop.iat as number,
    };
  }

  /** The token's claims checked, and its signature check started. */
  private async checkAccessToken(issuer: Issuer, token: string, now: number): Promise<CheckedJws> {
    let jws: ParsedJws;
    try {
      jws = parseCompactJws(token);
    } catch (error) {
      throw invalidToken(error instanceof JwsError ? error.message : 'malformed');
    }
    if (!ACCESS_TOKEN_ALGORITHMS.includes(jws.alg)) throw invalidToken('the alg is not allowed');
    const typ = jws.header.typ;
    if (typeof typ !== 'string' || !/^(application\/)?at\+jwt$/i.test(typ)) throw invalidToken('typ must be at+jwt');
    const claims = jws.claims;
    const absent = missing(claims, ACCESS_TOKEN_CLAIMS);
    if (absent) throw invalidToken(`no ${absent} claim`);
    if (claims.iss !== issuer.issuer) throw invalidToken('iss is not the authorization server');
    const audience = this.publicUrl.value;
    if (!(claims.aud === audience || (Array.isArray(claims.aud) && claims.aud.includes(audience)))) throw invalidToken('aud is not this API');
    if (typeof claims.exp !== 'number' || claims.exp <= now - CLOCK_TOLERANCE_SECONDS) throw invalidToken('expired');
    if (typeof claims.iat !== 'number') throw invalidToken('iat is not a number');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + CLOCK_TOLERANCE_SECONDS)) throw invalidToken('not yet valid');
    for (const name of ['client_id', 'jti', 'sub'] as const) if (typeof claims[name] !== 'string') throw invalidToken(`${name} is not a string`);
    const cnf = claims.cnf as Record<string, unknown> | null;
    if (typeof cnf !== 'object' || cnf === null || Object.keys(cnf).length !== 1 || typeof cnf.jkt !== 'string') {
      throw invalidToken('the token is not DPoP-bound (cnf.jkt)');
    }
    let key: KeyObject | null;
    try {
      key = await issuer.keys.keyFor(jws.header.kid, jws.alg);
    } catch (error) {
      this.logger.warn(`cannot fetch the authorization server's keys: ${error instanceof Error ? error.message : String(error)}`);
      throw new SecurityException(SecurityExceptionCode.IssuerUnavailable, 'The authorization server cannot be reached');
    }
    if (!key) throw invalidToken('no key of the authorization server matches');
    return { claims, signature: verifyJwsSignature(jws, key) };
  }

  /** The proof's claims and key checked against the request and the token, and its signature check started. */
  private checkProof(issuer: Issuer, proof: string, request: FastifyRequest, token: string, jkt: string, now: number): CheckedJws {
    let jws: ParsedJws;
    try {
      jws = parseCompactJws(proof);
    } catch (error) {
      throw invalidProof(error instanceof JwsError ? error.message : 'malformed');
    }
    if (!issuer.proofAlgorithms.includes(jws.alg)) throw invalidProof('the alg is not allowed');
    if (jws.header.typ !== 'dpop+jwt') throw invalidProof('typ must be dpop+jwt');
    const claims = jws.claims;
    const absent = missing(claims, PROOF_CLAIMS);
    if (absent) throw invalidProof(`no ${absent} claim`);
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) throw invalidProof('jti is not a string');
    if (typeof claims.iat !== 'number' || claims.iat < now - DPOP_PROOF_WINDOW_SECONDS || claims.iat > now + DPOP_PROOF_MAX_FUTURE_SECONDS) {
      throw invalidProof('iat is not recent enough');
    }
    if (claims.htm !== request.method) throw invalidProof('htm is not the request method');
    // htu is compared with the public URL the TPP called (API_URL and the path), not the address we listen
    // on behind a proxy nor the Host the client used; the refusal names it (it is public), since a client
    // that called 127.0.0.1 while API_URL says localhost cannot otherwise tell what differs.
    const expectedHtu = normalizeHtu(this.publicUrl.of(request.url));
    if (typeof claims.htu !== 'string' || normalizeHtu(claims.htu) !== expectedHtu) throw invalidProof(`htu is not the request URL; expected ${expectedHtu}`);
    if (claims.ath !== createHash('sha256').update(token).digest('base64url')) throw invalidProof('ath is not the hash of the access token');
    const jwk = jws.header.jwk;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalidProof('no jwk header');
    // Key fitness from the jwk's members alone, before any thumbprint, import or signature work.
    const fitFor = jwkAlgorithm(jwk as Record<string, unknown>);
    if (!fitFor) throw invalidProof(KEY_FITNESS_RULE);
    if (fitFor !== jws.alg) throw invalidProof(`the key does not fit ${jws.alg}`);
    try {
      const thumbprint = jwkThumbprint(jwk as Record<string, unknown>);
      if (thumbprint !== jkt) throw invalidProof('the proof key is not the key the token is bound to (cnf.jkt)');
      return { claims, signature: verifyJwsSignature(jws, this.proofKey(thumbprint, jwk as Record<string, unknown>)) };
    } catch (error) {
      if (error instanceof SecurityException) throw error;
      throw invalidProof(refusalReason(error));
    }
  }

  private proofKey(thumbprint: string, jwk: Record<string, unknown>): KeyObject {
    // The thumbprint covers every member that makes the public key, so it names the key; a jwk with
    // private members is refused whether or not its public part is cached.
    if (hasPrivateMembers(jwk)) throw new JwsError('the jwk must hold a public key only');
    const cached = this.proofKeys.get(thumbprint);
    if (cached) return cached;
    const key = dpopKeyImport.importKey(jwk);
    if (this.proofKeys.size >= PROOF_KEY_CACHE_SIZE) this.proofKeys.clear();
    this.proofKeys.set(thumbprint, key);
    return key;
  }

  private async issuer(): Promise<Issuer> {
    const fresh = this.discovered && Date.now() - this.discovered.at < DISCOVERY_MAX_AGE_MS;
    if (fresh) return this.discovered!.issuer;
    this.inflight ??= this.discover().finally(() => {
      this.inflight = null;
    });
    try {
      return await this.inflight;
    } catch (error) {
      // A stale discovery document beats refusing every request while the authorization server blips.
      if (this.discovered) return this.discovered.issuer;
      this.logger.warn(`discovery of ${this.config.authServerUrl} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw new SecurityException(SecurityExceptionCode.IssuerUnavailable, 'The authorization server cannot be reached');
    }
  }

  private async discover(): Promise<Issuer> {
    const url = new URL(this.config.authServerUrl);
    const response = await oauth.discoveryRequest(url, { [oauth.allowInsecureRequests]: this.insecure, signal: AbortSignal.timeout(5000) });
    const server = await oauth.processDiscoveryResponse(url, response);
    if (!server.jwks_uri) throw new JwksUnavailableError('the discovery document names no jwks_uri');
    if (!this.insecure && new URL(server.jwks_uri).protocol !== 'https:') throw new JwksUnavailableError('the jwks_uri must use https');
    // Keys of the previous discovery carry over when the jwks_uri stays the same.
    const previous = this.discovered?.issuer;
    const keys = previous && this.discoveredJwksUri === server.jwks_uri ? previous.keys : new IssuerKeySet(server.jwks_uri);
    this.discoveredJwksUri = server.jwks_uri;
    const advertised = Array.isArray(server.dpop_signing_alg_values_supported) ? server.dpop_signing_alg_values_supported : [];
    const proofAlgorithms = JWS_ALGORITHMS.filter((alg) => advertised.includes(alg));
    const issuer = { issuer: server.issuer, keys, proofAlgorithms };
    this.discovered = { issuer, at: Date.now() };
    return issuer;
  }
}
