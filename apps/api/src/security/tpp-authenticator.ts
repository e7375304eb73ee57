import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { AccessTokenVerifier } from './access-token.verifier.js';
import { readCaller } from './caller.query.js';
import { DpopReplayCache } from './dpop-replay.cache.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TppPrincipal } from './tpp-principal.js';
import { TppRateLimit } from './tpp-rate-limit.js';

/**
 * Authenticates a TPP on every OB call: a valid DPoP-bound token (signature, issuer, audience, expiry,
 * proof) whose proof was not seen before, of a TPP that is still Active and within its rate limit. The
 * replay check and the rate limit (one Redis round trip) and the read of the TPP (with the token's
 * consent) run side by side: one Redis and one SQL round trip. A plain
 * service called by TppAuthGuard: this runs on every request, where a passport strategy would add its
 * per-request wrapping without anything to choose between.
 */
@Injectable()
export class TppAuthenticator {
  constructor(
    private readonly verifier: AccessTokenVerifier,
    private readonly replay: DpopReplayCache,
    private readonly rateLimit: TppRateLimit,
    private readonly dataSource: DataSource,
  ) {}

  async authenticate(request: FastifyRequest): Promise<TppPrincipal> {
    const claims = await this.verifier.verify(request);
    // Both Redis commands are written in this same tick, so they travel pipelined: one round trip.
    const [fresh, retryAfter, caller] = await Promise.all([
      this.replay.claim(claims.clientId, claims.tokenJti, { jti: claims.proofJti, iat: claims.proofIssuedAt, jkt: claims.jkt }),
      this.rateLimit.take(claims.clientId),
      readCaller(this.dataSource, claims.clientId, claims.consentId),
    ]);
    if (fresh === 'revoked') throw new SecurityException(SecurityExceptionCode.InvalidAccessToken, 'The access token was revoked', 'Authorization');
    if (fresh === 'replayed') {
      throw new SecurityException(SecurityExceptionCode.ReplayedDpopProof, 'This DPoP proof was already used; send a fresh proof with every request', 'DPoP');
    }
    // Read on every request: a suspension takes effect at once, whatever tokens the TPP still holds.
    if (!caller.tpp || caller.tpp.status !== 'Active') {
      throw new SecurityException(SecurityExceptionCode.TppNotActive, 'The client is not an active TPP', 'Authorization');
    }
    if (retryAfter > 0) {
      throw new SecurityException(
        SecurityExceptionCode.TppRateLimited,
        `This client may make ${this.rateLimit.perMinute} calls a minute; retry after ${retryAfter} s`,
        undefined,
        retryAfter,
      );
    }
    // A revoked refresh token or a replayed code ends the consent's grant (and clears it from the row), a
    // re-authentication replaces it: tokens of any grant but the consent's live one are refused, from the
    // row this request already read.
    // Account-access and payment consents alike.
    const consent = caller.consent ?? caller.paymentConsent;
    if (consent && consent.clientId === claims.clientId && consent.authorisedAt !== null && consent.grantId !== claims.grantId) {
      throw new SecurityException(SecurityExceptionCode.InvalidAccessToken, 'The access token was revoked (its grant is no longer the consent\'s)', 'Authorization');
    }
    if (caller.consent !== undefined) request.consentRead = caller.consent;
    if (caller.paymentConsent !== undefined) request.paymentConsentRead = caller.paymentConsent;
    request.tppSigningRead = caller.tpp.signing;
    return {
      clientId: caller.tpp.clientId,
      tppName: caller.tpp.name,
      roles: caller.tpp.roles,
      scopes: claims.scopes,
      consentId: claims.consentId,
      jkt: claims.jkt,
    };
  }
}
