import { findConsentAccess, isConsentLive, needsReauthentication } from '@consentry/consents';
import { DataSource } from '@consentry/database';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { ACCOUNTS_SCOPE, assertRoleForScope } from './client-credentials.guard.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TppPrincipal } from './tpp-principal.js';

/**
 * Resolves the token's consent (openbanking_intent_id) for this request. Read from the database every
 * time, never cached: a revocation by the PSU must stop the very next call.
 */
@Injectable()
export class ConsentGuard implements CanActivate {
  constructor(private readonly dataSource: DataSource) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.user as TppPrincipal;
    if (!principal.scopes.includes(ACCOUNTS_SCOPE)) {
      throw new SecurityException(SecurityExceptionCode.InsufficientScope, 'The access token lacks the accounts scope');
    }
    if (principal.consentId === null) {
      throw new SecurityException(SecurityExceptionCode.WrongTokenKind, 'Account data needs a token issued for an authorised consent');
    }
    assertRoleForScope(principal, ACCOUNTS_SCOPE);
    // TppAuthGuard read it along with the TPP, in this request; read it here only when it did not.
    const consent = request.consentRead !== undefined ? request.consentRead : await findConsentAccess(this.dataSource, principal.consentId);
    // Another client's consent is reported like an unusable one: never confirm it exists.
    if (!consent || consent.clientId !== principal.clientId || !isConsentLive(consent)) {
      throw new SecurityException(SecurityExceptionCode.ConsentNotUsable, 'The consent is not authorised, has expired or was revoked');
    }
    // PSD2 RTS Art. 10a (EU, 180 days) / FCA SCA-RTS Art. 10A (UK, 90 days): no data until the PSU re-confirms.
    if (needsReauthentication(consent)) {
      throw new SecurityException(SecurityExceptionCode.ReauthenticationRequired, 'The PSU must re-authenticate this consent before its data can be read');
    }
    request.consent = consent;
    return true;
  }
}
