import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TPP_STRATEGY } from './tpp.strategy.js';
import { TppPrincipal } from './tpp-principal.js';

/** First guard of every OB route: a valid DPoP-bound token of an Active TPP. */
@Injectable()
export class TppAuthGuard extends AuthGuard(TPP_STRATEGY) {
  override handleRequest<TUser = TppPrincipal>(error: unknown, user: unknown): TUser {
    // Our strategy throws typed exceptions; keep them so the filter answers with the precise code.
    if (error) throw error;
    if (!user) throw new SecurityException(SecurityExceptionCode.InvalidAccessToken, 'The access token is not valid', 'Authorization');
    return user as TUser;
  }
}
