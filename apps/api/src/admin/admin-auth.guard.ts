import { DataSource } from '@consentry/database';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { SessionAuthGuard } from '../sessions/session-auth.guard.js';
import { SessionSubject } from '../sessions/session.store.js';
import { enforceAdminAccess } from './admin-access.js';
import { ADMIN_SESSION_STRATEGY } from './admin-session.strategy.js';

/** The admin API's guard: a live admin session, then the role the route declares (@AdminAccess). */
@Injectable()
export class AdminAuthGuard extends SessionAuthGuard(ADMIN_SESSION_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const admin = context.switchToHttp().getRequest<FastifyRequest>().user as SessionSubject;
    await enforceAdminAccess(this.reflector, this.dataSource, context, admin, 'api');
    return true;
  }
}
