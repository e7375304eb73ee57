import { recordAuditEvent } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import { AdminRole } from '@consentry/identity';
import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { SessionSubject } from '../sessions/session.store.js';
import { AdminAccessException, AdminAccessExceptionCode } from './admin-access.exception.js';

/**
 * Who may use an admin API route or console page: an admin holding that role (ADMIN_ROLE_DUTIES in
 * libs/identity says what each is for); `any-admin`, every signed-in admin (signing out, the console's
 * start); `public`, anyone the admin network lets in (signing in, the sign-in page, its stylesheet).
 */
export type AdminRouteAccess = AdminRole | 'any-admin' | 'public';

/**
 * Declares who may use an admin route, on the handler or its controller. Every route under /admin and
 * /admin-console declares it (admin-access.spec.ts lists them all); the admin guards refuse a route that
 * does not.
 */
export const AdminAccess = Reflector.createDecorator<AdminRouteAccess>();

/** The access a route declares (its handler's, else its controller's); undefined when it declares none. */
export function adminAccessOf(reflector: Reflector, route: Pick<ExecutionContext, 'getHandler' | 'getClass'>): AdminRouteAccess | undefined {
  return reflector.getAllAndOverride(AdminAccess, [route.getHandler(), route.getClass()]);
}

/**
 * The role check of both admin guards (AdminAuthGuard on the API, AdminConsoleSessionGuard on the
 * console), once the session is good: the route's role against the admin's roles as SessionStore read
 * them from the row for this very request, so a role taken away is gone at the next one. A refusal is
 * audited (`admin.access-refused`: the route's pattern and the roles, nothing the request carried).
 */
export async function enforceAdminAccess(
  reflector: Reflector,
  dataSource: DataSource,
  context: ExecutionContext,
  admin: SessionSubject,
  channel: 'api' | 'console',
): Promise<void> {
  const access = adminAccessOf(reflector, context);
  // A programming error, caught by admin-access.spec.ts; refused here rather than served to any admin.
  if (access === undefined) throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no @AdminAccess`);
  if (access === 'any-admin' || access === 'public') return;
  const roles = admin.roles ?? [];
  if (roles.includes(access)) return;
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  await recordAuditEvent(dataSource.manager, {
    type: 'admin.access-refused',
    actor: { type: 'admin', id: admin.subjectId },
    interactionId: request.interactionId,
    data: { channel, method: request.method, route: request.routeOptions.url ?? null, requiredRole: access, roles: [...roles] },
  });
  throw new AdminAccessException(AdminAccessExceptionCode.RoleMissing, access);
}
