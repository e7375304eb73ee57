import type { ConsentAccess, PaymentConsentAccess } from '@consentry/consents';
import type { TppRole } from '@consentry/database';
import type { TppSigningRegistration } from './caller.query.js';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

/** The caller of the OB API, from a validated DPoP-bound access token of an Active TPP. */
export interface TppPrincipal {
  clientId: string;
  tppName: string;
  /** The PSD2 roles the TPP holds now (read with it on every request). */
  roles: TppRole[];
  scopes: string[];
  /** The consent the token was issued for; null on client-credentials tokens. */
  consentId: string | null;
  /** JWK thumbprint of the key the token is bound to. */
  jkt: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    user?: TppPrincipal | unknown;
    /** Set by ConsentGuard: the consent as read for this very request. */
    consent?: ConsentAccess;
    /** Set by TppAuthGuard for a consent-bound token: the consent read with the TPP (null: no such consent). */
    consentRead?: ConsentAccess | null;
    /** Set by TppAuthGuard for a payment consent's token: the consent read with the TPP (null: no such consent). */
    paymentConsentRead?: PaymentConsentAccess | null;
    /** Set by TppAuthGuard: the TPP's signing registration, read with it for this very request. */
    tppSigningRead?: TppSigningRegistration;
  }
}

/** The authenticated TPP (after TppAuthGuard). */
export const Tpp = createParamDecorator((_: unknown, context: ExecutionContext): TppPrincipal => {
  return context.switchToHttp().getRequest<FastifyRequest>().user as TppPrincipal;
});

/** The live consent of the request (after ConsentGuard). */
export const Consent = createParamDecorator((_: unknown, context: ExecutionContext): ConsentAccess => {
  const consent = context.switchToHttp().getRequest<FastifyRequest>().consent;
  if (!consent) throw new Error('Consent used on a route without ConsentGuard');
  return consent;
});

/** The request's x-fapi-interaction-id. */
export const InteractionId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<FastifyRequest>().interactionId;
});
