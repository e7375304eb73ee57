import type { Permission } from '@consentry/consents';
import { applyDecorators, UseGuards, UseInterceptors } from '@nestjs/common';

import { ClientCredentialsGuard } from './client-credentials.guard.js';
import { ConsentAccountGuard } from './consent-account.guard.js';
import { ConsentGuard } from './consent.guard.js';
import { FapiHeadersGuard } from './fapi-headers.guard.js';
import { PermissionGuard, RequiresAnyPermission } from './permission.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';
import { UnattendedAccessInterceptor } from './unattended-access.interceptor.js';

/** A consent endpoint: the TPP's client-credentials token with scope accounts. */
export const ClientCredentialsProtected = () => applyDecorators(UseGuards(FapiHeadersGuard, TppAuthGuard, ClientCredentialsGuard));

/**
 * An account-information resource, guarded in order: FAPI headers -> access token + DPoP -> live
 * consent of this client -> one of `permissions` -> path ids well formed and the account within the
 * consent; then, around validation and the handler, the unattended-access allowance (PSD2 RTS
 * Art. 36(5)), so that a call refused by validation does not count.
 */
export const ConsentProtected = (...permissions: Permission[]) =>
  applyDecorators(
    RequiresAnyPermission(...permissions),
    UseGuards(FapiHeadersGuard, TppAuthGuard, ConsentGuard, PermissionGuard, ConsentAccountGuard),
    UseInterceptors(UnattendedAccessInterceptor),
  );
