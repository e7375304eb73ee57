import type { Permission } from '@consentry/consents';
import { applyDecorators, UseGuards } from '@nestjs/common';

import { ClientCredentialsGuard } from './client-credentials.guard.js';
import { ConsentAccountGuard } from './consent-account.guard.js';
import { ConsentGuard } from './consent.guard.js';
import { PermissionGuard, RequiresAnyPermission } from './permission.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';

/** A consent endpoint: the TPP's client-credentials token with scope accounts. */
export const ClientCredentialsProtected = () => applyDecorators(UseGuards(TppAuthGuard, ClientCredentialsGuard));

/**
 * An account-information resource, guarded in order: access token + DPoP -> live consent of this
 * client -> one of `permissions` -> path account within the consent.
 */
export const ConsentProtected = (...permissions: Permission[]) =>
  applyDecorators(RequiresAnyPermission(...permissions), UseGuards(TppAuthGuard, ConsentGuard, PermissionGuard, ConsentAccountGuard));
