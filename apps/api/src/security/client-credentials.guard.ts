import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TppPrincipal } from './tpp-principal.js';
import { ACCOUNTS_SCOPE, ObScope, ROLE_OF_SCOPE } from './tpp-scopes.js';

export { ACCOUNTS_SCOPE } from './tpp-scopes.js';

const REQUIRED_SCOPE = 'consentry:client-credentials-scope';

/** The scope a client-credentials route needs (accounts when not declared). */
export const RequiresClientScope = (scope: ObScope) => SetMetadata(REQUIRED_SCOPE, scope);

/**
 * The consent and payment-order read endpoints take the TPP's client-credentials token (OB
 * TPPOAuth2Security) with the route's scope, never a token already bound to a PSU's consent. The TPP
 * must also hold the scope's PSD2 role now (a role withdrawn at the register ends it).
 */
@Injectable()
export class ClientCredentialsGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<ObScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ?? ACCOUNTS_SCOPE;
    const principal = context.switchToHttp().getRequest<FastifyRequest>().user as TppPrincipal;
    if (!principal.scopes.includes(scope)) {
      throw new SecurityException(SecurityExceptionCode.InsufficientScope, `The access token lacks the ${scope} scope`);
    }
    if (principal.consentId !== null) {
      throw new SecurityException(SecurityExceptionCode.WrongTokenKind, 'This endpoint takes a client-credentials token');
    }
    assertRoleForScope(principal, scope);
    return true;
  }
}

/**
 * PSD2: only a TPP registered for the scope's role may use it, read from the register on this request
 * (until 7 December 2026 accounts was left to the authorization server, and a TPP whose AISP role was
 * withdrawn kept reading account data with its tokens).
 */
export function assertRoleForScope(principal: TppPrincipal, scope: ObScope): void {
  if (!principal.roles.includes(ROLE_OF_SCOPE[scope])) {
    throw new SecurityException(SecurityExceptionCode.RoleNotHeld, `The TPP does not hold the ${ROLE_OF_SCOPE[scope]} role`);
  }
}
