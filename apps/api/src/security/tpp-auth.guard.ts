import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { TppAuthenticator } from './tpp-authenticator.js';

/** First authentication guard of every OB route: the TPP's DPoP-bound token, checked by TppAuthenticator. */
@Injectable()
export class TppAuthGuard implements CanActivate {
  constructor(private readonly authenticator: TppAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    request.user = await this.authenticator.authenticate(request);
    return true;
  }
}
