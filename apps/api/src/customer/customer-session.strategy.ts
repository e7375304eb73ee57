import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import CustomStrategy from 'passport-custom';

import { readBearerToken } from '../sessions/bearer-token.js';
import { SessionException, SessionExceptionCode } from '../sessions/session.exception.js';
import { SessionStore, SessionSubject } from '../sessions/session.store.js';

export const CUSTOMER_SESSION_STRATEGY = 'customer-session';

/** A PSU signed in on the customer API (bearer session token in the customer namespace only). */
@Injectable()
export class CustomerSessionStrategy extends PassportStrategy(CustomStrategy, CUSTOMER_SESSION_STRATEGY) {
  constructor(private readonly sessions: SessionStore) {
    super();
  }

  async validate(request: FastifyRequest): Promise<SessionSubject> {
    const token = readBearerToken(request);
    const subject = token === null ? null : await this.sessions.touch('customer', token);
    if (!subject) throw new SessionException(SessionExceptionCode.Unauthenticated, 'Sign in to the customer API first');
    return subject;
  }
}
