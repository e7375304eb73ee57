import type { Permission } from '@consentry/consents';
import { applyDecorators, UseGuards } from '@nestjs/common';

import { ClientCredentialsGuard } from './client-credentials.guard.js';
import { ConsentAccountGuard } from './consent-account.guard.js';
import { ConsentGuard } from './consent.guard.js';
import { FapiHeadersGuard } from './fapi-headers.guard.js';
import { PermissionGuard, RequiresAnyPermission } from './permission.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';
import { UnattendedAccessGuard } from './unattended-access.guard.js';

/** A consent endpoint: the TPP's client-credentials token with scope accounts. */
export const ClientCredentialsProtected = () => applyDecorators(UseGuards(FapiHeadersGuard, TppAuthGuard, ClientCredentialsGuard));

/**
 * An account-information resource, guarded in order: FAPI headers -> access token + DPoP -> live
 * consent of this client -> one of `permissions` -> path ids well formed and the account within the
 * consent -> the unattended-access allowance (PSD2 RTS Art. 36(5)), reserved here and released if the
 * call then fails (validation included), so that only answered calls count.
 */
export const ConsentProtected = (...permissions: Permission[]) =>
  applyDecorators(
    RequiresAnyPermission(...permissions),
    UseGuards(FapiHeadersGuard, TppAuthGuard, ConsentGuard, PermissionGuard, ConsentAccountGuard, UnattendedAccessGuard),
  );
