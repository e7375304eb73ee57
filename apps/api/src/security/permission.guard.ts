import type { Permission } from '@consentry/consents';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';

const REQUIRED_PERMISSIONS = 'consentry:required-permissions';

const ALSO_REQUIRED_PERMISSIONS = 'consentry:also-required-permissions';

/** The resource needs at least one of these permissions in the consent. */
export const RequiresAnyPermission = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

/** A handler that also needs one of these (e.g. a statement's transactions need a transaction permission). */
export const AlsoRequiresAnyPermission = (...permissions: Permission[]) => SetMetadata(ALSO_REQUIRED_PERMISSIONS, permissions);

@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, [context.getHandler(), context.getClass()]);
    // A consent-protected route without declared permissions is a programming error: refuse, never allow.
    if (!required || required.length === 0) throw new Error('consent-protected route declares no permission');
    const consent = context.switchToHttp().getRequest<FastifyRequest>().consent;
    const also = this.reflector.get<Permission[] | undefined>(ALSO_REQUIRED_PERMISSIONS, context.getHandler()) ?? [];
    for (const group of [required, also]) {
      if (group.length === 0) continue;
      if (!consent || !group.some((permission) => consent.permissions.includes(permission))) {
        throw new SecurityException(SecurityExceptionCode.PermissionNotGranted, `The consent does not grant ${group.join(' or ')}`);
      }
    }
    return true;
  }
}
