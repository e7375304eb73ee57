import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { assertRoleForScope } from '../security/client-credentials.guard.js';
import { SecurityException, SecurityExceptionCode } from '../security/security.exception.js';
import { TppPrincipal } from '../security/tpp-principal.js';
import { ObScope, ROLE_OF_SCOPE } from '../security/tpp-scopes.js';

/**
 * The Event Notification API takes the TPP's client-credentials token with any one of the resource
 * scopes (events-openapi.yaml: TPPOAuth2Security with accounts, payments or fundsconfirmations): every
 * kind of TPP gets events of its own resources. The TPP must hold the PSD2 role of a scope it presents.
 */
@Injectable()
export class EventClientGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<FastifyRequest>().user as TppPrincipal;
    if (principal.consentId !== null) throw new SecurityException(SecurityExceptionCode.WrongTokenKind, 'This endpoint takes a client-credentials token');
    const scopes = (Object.keys(ROLE_OF_SCOPE) as ObScope[]).filter((scope) => principal.scopes.includes(scope));
    if (scopes.length === 0) {
      throw new SecurityException(SecurityExceptionCode.InsufficientScope, 'The access token lacks an accounts, payments or fundsconfirmations scope');
    }
    // One scope whose role the TPP holds is enough; otherwise the first one's refusal explains.
    const held = scopes.find((scope) => {
      try {
        assertRoleForScope(principal, scope);
        return true;
      } catch {
        return false;
      }
    });
    if (held === undefined) assertRoleForScope(principal, scopes[0]!);
    return true;
  }
}
