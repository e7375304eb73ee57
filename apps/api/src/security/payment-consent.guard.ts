import { findPaymentConsentAccess, PAYMENT_CONSENT_SCOPE, PaymentConsentAccess } from '@consentry/consents';
import { DataSource, PaymentConsentKind } from '@consentry/database';
import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';

import { assertRoleForScope } from './client-credentials.guard.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';
import { TppPrincipal } from './tpp-principal.js';

const PAYMENT_CONSENT_KIND = 'consentry:payment-consent-kind';

/** The kind of payment consent whose PSU token the route takes. */
export const RequiresPaymentConsent = (kind: PaymentConsentKind) => SetMetadata(PAYMENT_CONSENT_KIND, kind);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by PaymentConsentGuard: the payment consent of the request's token, as read for this request. */
    paymentConsent?: PaymentConsentAccess;
  }
}

/** The ConsentId the request itself names: the path's, or the body's Data.ConsentId. */
function consentIdNamedBy(request: FastifyRequest): string | undefined {
  const fromPath = (request.params as Record<string, unknown> | undefined)?.ConsentId;
  if (typeof fromPath === 'string') return fromPath;
  const data = (request.body as { Data?: { ConsentId?: unknown } } | undefined)?.Data;
  return typeof data?.ConsentId === 'string' ? data.ConsentId : undefined;
}

/**
 * Calls made with the PSU's authorization-code token for one payment consent (POST domestic-payments,
 * GET .../funds-confirmation, POST funds-confirmations): the kind's scope (payments or
 * fundsconfirmations) and its role (PISP or CBPII), the token's consent is a payment consent of this
 * TPP (else 403 U009), of the route's kind (else 403 U042), authorised at some point (403 U009; its
 * status is the use case's to judge, so a second payment gets U009, not 403), and it is the consent
 * the request names. Read from the database on every call, never cached.
 */
@Injectable()
export class PaymentConsentGuard implements CanActivate {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const kind = this.reflector.getAllAndOverride<PaymentConsentKind | undefined>(PAYMENT_CONSENT_KIND, [context.getHandler(), context.getClass()]);
    if (!kind) throw new Error('payment-consent route declares no consent kind');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.user as TppPrincipal;
    const scope = PAYMENT_CONSENT_SCOPE[kind];
    if (!principal.scopes.includes(scope)) {
      throw new SecurityException(SecurityExceptionCode.InsufficientScope, `The access token lacks the ${scope} scope`);
    }
    if (principal.consentId === null) {
      throw new SecurityException(SecurityExceptionCode.WrongTokenKind, 'This endpoint takes the PSU’s token for the consent');
    }
    assertRoleForScope(principal, scope);
    const consent = request.paymentConsentRead !== undefined ? request.paymentConsentRead : await findPaymentConsentAccess(this.dataSource, principal.consentId);
    // Another client's consent, or one never authorised, is reported alike: never confirm it exists.
    if (!consent || consent.clientId !== principal.clientId) {
      throw new SecurityException(SecurityExceptionCode.ConsentNotUsable, `The token’s consent is not an authorised ${kind} consent of this TPP`);
    }
    // The TPP's own consent of another kind (a VRP or funds-confirmation token on a payment): the wrong
    // token for this endpoint, as docs/payments.md says (403 U042), not a consent status (U009).
    if (consent.kind !== kind) {
      throw new SecurityException(SecurityExceptionCode.WrongTokenKind, `This endpoint takes the PSU’s token for a ${kind} consent`);
    }
    if (consent.authorisedAt === null) {
      throw new SecurityException(SecurityExceptionCode.ConsentNotUsable, `The token’s consent is not an authorised ${kind} consent of this TPP`);
    }
    const named = consentIdNamedBy(request);
    if (named !== undefined && named !== consent.consentId) {
      throw new SecurityException(SecurityExceptionCode.ConsentNotOfToken, 'The access token was issued for another consent');
    }
    request.paymentConsent = consent;
    return true;
  }
}
