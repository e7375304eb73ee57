import { DataSource } from '@consentry/database';
import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { enforceAdminAccess } from '../admin/admin-access.js';
import { PageCookies, PageSessionGuard } from '../dashboard/page-session.js';
import { SessionStore } from '../sessions/session.store.js';
import { ADMIN_CONSOLE_REALM } from './admin-console.views.js';

/** An administrator signed in on the console (admin namespace, console cookie), holding the role the page declares (@AdminAccess). */
@Injectable()
export class AdminConsoleSessionGuard extends PageSessionGuard {
  protected readonly realm = ADMIN_CONSOLE_REALM;

  constructor(
    sessions: SessionStore,
    cookies: PageCookies,
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
  ) {
    super(sessions, cookies);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const session = context.switchToHttp().getRequest<FastifyRequest>().pageSession!;
    await enforceAdminAccess(this.reflector, this.dataSource, context, session.subject, 'console');
    return true;
  }
}
