import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';

import { readBearerToken } from './bearer-token.js';
import { SessionException, SessionExceptionCode } from './session.exception.js';
import { SessionSubject } from './session.store.js';

/** A guard for a session strategy that keeps the strategy's typed exceptions. */
export function SessionAuthGuard(strategy: string) {
  return class extends AuthGuard(strategy) {
    override handleRequest<TUser = SessionSubject>(error: unknown, user: unknown): TUser {
      if (error) throw error;
      if (!user) throw new SessionException(SessionExceptionCode.Unauthenticated, 'Sign in first');
      return user as TUser;
    }
  };
}

/** The signed-in PSU or admin. */
export const SessionUser = createParamDecorator((_: unknown, context: ExecutionContext): SessionSubject => {
  return context.switchToHttp().getRequest<FastifyRequest>().user as SessionSubject;
});

/** The bearer token of the current request (to end the session). */
export const SessionToken = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return readBearerToken(context.switchToHttp().getRequest<FastifyRequest>()) ?? '';
});
