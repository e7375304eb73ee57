import type { PaymentConsentKind } from '@consentry/database';

/**
 * The OB scope each kind of payment consent is authorised and used with (the PSD2 role follows from the
 * scope: payments -> PISP, fundsconfirmations -> CBPII). The authorization server checks the request's
 * scope with it, the API the token's.
 */
export const PAYMENT_CONSENT_SCOPE: Record<PaymentConsentKind, 'payments' | 'fundsconfirmations'> = {
  'domestic-payment': 'payments',
  'funds-confirmation': 'fundsconfirmations',
};

/**
 * Whether the grant of a kind's consent lives as long as the consent (used again and again until it
 * ends), or only briefly (a one-off payment order).
 */
export const PAYMENT_GRANT_LASTS_AS_CONSENT: Record<PaymentConsentKind, boolean> = {
  'domestic-payment': false,
  'funds-confirmation': true,
};
