import type { ApiConfig } from '@consentry/config';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import * as oauth from 'oauth4webapi';

import { API_CONFIG } from '../api.tokens.js';
import { PublicUrl } from '../http/public-url.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';

/** Claims of a validated access token that the API relies on. */
export interface AccessTokenClaims {
  clientId: string;
  scopes: string[];
  consentId: string | null;
  jkt: string;
  /** The request's DPoP proof, validated; its jti still has to be claimed against replay. */
  proof: string;
}

// FAPI 2.0 Security Profile 5.4: PS256, ES256 or EdDSA only, for tokens and DPoP proofs alike.
const SIGNING_ALGORITHMS = ['PS256', 'ES256', 'EdDSA'];
// Discovery rarely changes; JWKS rotation is handled by oauth4webapi (refetch on unknown kid).
const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;

function isFetchFailure(error: unknown): boolean {
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return true;
  if (error instanceof oauth.ResponseBodyError) return true;
  if (error instanceof oauth.OperationProcessingError) {
    return error.code === oauth.RESPONSE_IS_NOT_CONFORM || error.code === oauth.RESPONSE_IS_NOT_JSON;
  }
  return false;
}

/**
 * Validates `Authorization: DPoP <jwt>` with its DPoP proof against the authorization server's
 * discovery and JWKS (oauth4webapi validateJwtAccessToken: signature, iss, aud, exp, typ at+jwt, and the
 * proof's htm, htu, iat, ath and cnf.jkt binding). The caller claims the proof's jti against replay.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly logger = new Logger(AccessTokenVerifier.name);
  private discovered: { server: oauth.AuthorizationServer; at: number } | null = null;
  private inflight: Promise<oauth.AuthorizationServer> | null = null;
  private readonly insecure: boolean;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly publicUrl: PublicUrl,
  ) {
    // Plain http to the authorization server only outside production (local sandbox, tests).
    this.insecure = config.mode !== 'production' && new URL(config.authServerUrl).protocol === 'http:';
  }

  async verify(request: FastifyRequest): Promise<AccessTokenClaims> {
    const authorization = request.headers.authorization;
    if (!authorization) throw new SecurityException(SecurityExceptionCode.MissingAccessToken, 'An Authorization header is required', 'Authorization');
    if (!/^DPoP [^\s]+$/.test(authorization)) {
      throw new SecurityException(SecurityExceptionCode.InvalidAccessToken, 'Authorization must be "DPoP <access token>"', 'Authorization');
    }
    const proof = request.headers.dpop;
    if (typeof proof !== 'string' || proof.length === 0) {
      throw new SecurityException(SecurityExceptionCode.MissingDpopProof, 'A DPoP proof header is required', 'DPoP');
    }
    const server = await this.authorizationServer();
    // htu is compared with the public URL the TPP called, not the address we listen on behind a proxy.
    const fetchRequest = new Request(this.publicUrl.of(request.url), { method: request.method, headers: { authorization, dpop: proof } });
    let claims: oauth.JWTAccessTokenClaims;
    try {
      claims = await oauth.validateJwtAccessToken(server, fetchRequest, this.publicUrl.value, {
        requireDPoP: true,
        signingAlgorithms: SIGNING_ALGORITHMS,
        [oauth.allowInsecureRequests]: this.insecure,
      });
    } catch (error) {
      throw this.translate(error);
    }
    const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (typeof jkt !== 'string') throw new SecurityException(SecurityExceptionCode.InvalidAccessToken, 'The access token is not DPoP-bound', 'Authorization');
    const intent = claims.openbanking_intent_id;
    return {
      clientId: claims.client_id,
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [],
      consentId: typeof intent === 'string' && intent.length > 0 ? intent : null,
      jkt,
      proof,
    };
  }

  private translate(error: unknown): SecurityException {
    if (isFetchFailure(error)) {
      this.logger.warn(`cannot fetch the authorization server's keys: ${error instanceof Error ? error.message : String(error)}`);
      return new SecurityException(SecurityExceptionCode.IssuerUnavailable, 'The authorization server cannot be reached');
    }
    const reason = error instanceof Error ? error.message : 'invalid';
    // oauth4webapi names the failing part in its message; the proof's failures mention DPoP or the key binding.
    if (/dpop|confirmation/i.test(reason)) {
      return new SecurityException(SecurityExceptionCode.InvalidDpopProof, `The DPoP proof is not valid (${reason})`, 'DPoP');
    }
    return new SecurityException(SecurityExceptionCode.InvalidAccessToken, `The access token is not valid (${reason})`, 'Authorization');
  }

  private async authorizationServer(): Promise<oauth.AuthorizationServer> {
    const fresh = this.discovered && Date.now() - this.discovered.at < DISCOVERY_MAX_AGE_MS;
    if (fresh) return this.discovered!.server;
    this.inflight ??= this.discover().finally(() => {
      this.inflight = null;
    });
    try {
      return await this.inflight;
    } catch (error) {
      // A stale discovery document beats refusing every request while the authorization server blips.
      if (this.discovered) return this.discovered.server;
      this.logger.warn(`discovery of ${this.config.authServerUrl} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw new SecurityException(SecurityExceptionCode.IssuerUnavailable, 'The authorization server cannot be reached');
    }
  }

  private async discover(): Promise<oauth.AuthorizationServer> {
    const issuer = new URL(this.config.authServerUrl);
    const response = await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: this.insecure, signal: AbortSignal.timeout(5000) });
    const server = await oauth.processDiscoveryResponse(issuer, response);
    this.discovered = { server, at: Date.now() };
    return server;
  }
}
