import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TppPrincipal } from './tpp-principal.js';

export const ACCOUNTS_SCOPE = 'accounts';

/**
 * The consent endpoints take the TPP's client-credentials token with scope `accounts` (OB
 * TPPOAuth2Security), never a token already bound to a PSU's consent.
 */
@Injectable()
export class ClientCredentialsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().user as TppPrincipal;
    if (!principal.scopes.includes(ACCOUNTS_SCOPE)) {
      throw new SecurityException(SecurityExceptionCode.InsufficientScope, 'The access token lacks the accounts scope');
    }
    if (principal.consentId !== null) {
      throw new SecurityException(SecurityExceptionCode.WrongTokenKind, 'Account-access consents are managed with a client-credentials token');
    }
    return true;
  }
}
