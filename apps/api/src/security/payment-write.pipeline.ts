import { applyDecorators, CanActivate, Injectable, Type, UseGuards } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { ClientCredentialsGuard, RequiresClientScope } from './client-credentials.guard.js';
import { FapiHeadersGuard } from './fapi-headers.guard.js';
import { PaymentConsentGuard, RequiresPaymentConsent } from './payment-consent.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';
import { TppPrincipal } from './tpp-principal.js';
import type { PaymentConsentKind } from '@consentry/database';

/**
 * The request-level checks of every PIS (and later VRP) POST, after the token and before the body.
 * UK OB fixes their order and tests assert exact codes:
 *
 *   1. 401/403 token, scope, role ........ FapiHeadersGuard, TppAuthGuard, then ClientCredentialsGuard or
 *                                          PaymentConsentGuard (below)
 *   2. U007 required headers ............. PAYMENT_REQUEST_GUARDS  (x-idempotency-key present, at most 40)
 *   3. U019 -> U015 x-jws-signature ...... PAYMENT_REQUEST_GUARDS  (detached JWS over the body bytes)
 *   4. U010 / U00x body .................. the global ValidationPipe (Nest runs pipes after every guard)
 *   5. idempotency ....................... PaymentWritePipeline.run, around the write
 *   6. U009 consent status, 7. U008 ...... the use case (consumePaymentConsent)
 *   8. U014 control parameters ........... the VRP use case (useVrpConsent, vrp-control-parameters.ts)
 *
 * Message signing and idempotency are not built here: their guards go into PAYMENT_REQUEST_GUARDS, in
 * that order, and the idempotency store into PaymentWritePipeline.run. Nothing else changes.
 */
export const PAYMENT_REQUEST_GUARDS: ReadonlyArray<Type<CanActivate>> = [];

/** A PIS POST made with the TPP's client-credentials token (consent creation). */
export const PaymentClientWriteProtected = () =>
  applyDecorators(RequiresClientScope('payments'), UseGuards(FapiHeadersGuard, TppAuthGuard, ClientCredentialsGuard, ...PAYMENT_REQUEST_GUARDS));

/** A PIS POST made with the PSU's token for a payment consent of `kind` (a payment order). */
export const PaymentOrderWriteProtected = (kind: PaymentConsentKind) =>
  applyDecorators(RequiresPaymentConsent(kind), UseGuards(FapiHeadersGuard, TppAuthGuard, PaymentConsentGuard, ...PAYMENT_REQUEST_GUARDS));

/** Step 5 onwards of the pipeline: every PIS POST's write runs through here, once. */
@Injectable()
export class PaymentWritePipeline {
  /**
   * Runs `write` for this request. The idempotency store (x-idempotency-key per client and path, 24 h;
   * the same body answers the first response again, another body 409 U029) wraps it here.
   */
  run<T>(_request: FastifyRequest, _tpp: TppPrincipal, write: () => Promise<T>): Promise<T> {
    return write();
  }
}
