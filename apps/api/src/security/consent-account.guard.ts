import { invalidIdError, isObId } from '@consentry/validation';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';

/**
 * An `{AccountId}` in the path must be one the PSU selected for this consent. A missing account and
 * another PSU's account get the same 403, so account ids cannot be probed.
 */
@Injectable()
export class ConsentAccountGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const params = request.params as Record<string, string | undefined>;
    // Malformed ids are a 400 before anything is looked up (authentication has passed already).
    for (const name of ['AccountId', 'StatementId']) {
      if (params[name] !== undefined && !isObId(params[name])) throw invalidIdError(name);
    }
    const accountId = params.AccountId;
    if (accountId === undefined) return true;
    if (!request.consent?.accountIds.includes(accountId)) {
      throw new SecurityException(SecurityExceptionCode.AccountNotInConsent, 'The account is not covered by the consent');
    }
    return true;
  }
}
