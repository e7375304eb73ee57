import type { Permission } from '@consentry/consents';
import type { PaymentConsentKind } from '@consentry/database';
import { applyDecorators, UseGuards } from '@nestjs/common';

import { ClientCredentialsGuard, RequiresClientScope } from './client-credentials.guard.js';
import { ConsentAccountGuard } from './consent-account.guard.js';
import { ConsentGuard } from './consent.guard.js';
import { FapiHeadersGuard } from './fapi-headers.guard.js';
import { PaymentConsentGuard, RequiresPaymentConsent } from './payment-consent.guard.js';
import { PermissionGuard, RequiresAnyPermission } from './permission.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';
import { ObScope } from './tpp-scopes.js';
import { UnattendedAccessGuard } from './unattended-access.guard.js';

/** A consent (or payment-order read) endpoint: the TPP's client-credentials token with `scope` (and its role). */
export const ClientCredentialsProtected = (scope: ObScope = 'accounts') =>
  applyDecorators(RequiresClientScope(scope), UseGuards(FapiHeadersGuard, TppAuthGuard, ClientCredentialsGuard));

/**
 * A call with the PSU's token for one payment consent of `kind`: FAPI headers -> access token + DPoP ->
 * the kind's scope and role (payments/PISP, fundsconfirmations/CBPII), the token's consent is the one the request names. The checks that follow
 * (headers, signature, body, idempotency) are the route's: see domestic-payments/payment-write.pipeline.ts.
 */
export const PaymentConsentProtected = (kind: PaymentConsentKind) =>
  applyDecorators(RequiresPaymentConsent(kind), UseGuards(FapiHeadersGuard, TppAuthGuard, PaymentConsentGuard));

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
