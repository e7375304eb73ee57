import type { Permission } from '@consentry/consents';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';

const REQUIRED_PERMISSIONS = 'consentry:required-permissions';

/** The resource needs at least one of these permissions in the consent. */
export const RequiresAnyPermission = (...permissions: Permission[]) => SetMetadata(REQUIRED_PERMISSIONS, permissions);

@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(REQUIRED_PERMISSIONS, [context.getHandler(), context.getClass()]);
    // A consent-protected route without declared permissions is a programming error: refuse, never allow.
    if (!required || required.length === 0) throw new Error('consent-protected route declares no permission');
    const consent = context.switchToHttp().getRequest<FastifyRequest>().consent;
    if (!consent || !required.some((permission) => consent.permissions.includes(permission))) {
      throw new SecurityException(SecurityExceptionCode.PermissionNotGranted, `The consent does not grant ${required.join(' or ')}`);
    }
    return true;
  }
}
