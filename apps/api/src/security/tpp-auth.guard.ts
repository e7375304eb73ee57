import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TPP_STRATEGY } from './tpp.strategy.js';

/** First authentication guard of every OB route (the `tpp` passport strategy), keeping its typed errors. */
@Injectable()
export class TppAuthGuard extends AuthGuard(TPP_STRATEGY) {
  override handleRequest<TUser>(error: unknown, user: unknown): TUser {
    if (error) throw error;
    if (!user) throw new SecurityException(SecurityExceptionCode.MissingAccessToken, 'Send the access token as Authorization: DPoP <token>', 'Authorization');
    return user as TUser;
  }
}
