import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FastifyRequest } from 'fastify';
import CustomStrategy from 'passport-custom';

import { readBearerToken } from '../sessions/bearer-token.js';
import { SessionException, SessionExceptionCode } from '../sessions/session.exception.js';
import { SessionStore, SessionSubject } from '../sessions/session.store.js';

export const ADMIN_SESSION_STRATEGY = 'admin-session';

/** A bank administrator signed in on the admin API (admin namespace only: a PSU token never works here). */
@Injectable()
export class AdminSessionStrategy extends PassportStrategy(CustomStrategy, ADMIN_SESSION_STRATEGY) {
  constructor(private readonly sessions: SessionStore) {
    super();
  }

  async validate(request: FastifyRequest): Promise<SessionSubject> {
    const token = readBearerToken(request);
    const subject = token === null ? null : await this.sessions.touch('admin', token);
    if (!subject) throw new SessionException(SessionExceptionCode.Unauthenticated, 'Sign in to the admin API first');
    return subject;
  }
}
