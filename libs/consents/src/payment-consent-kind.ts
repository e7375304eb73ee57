import type { PaymentConsentKind } from '@consentry/database';

/**
 * The OB scope each kind of payment consent is authorised and used with (the PSD2 role follows from the
 * scope: payments -> PISP, fundsconfirmations -> CBPII). The authorization server checks the request's
 * scope with it, the API the token's.
 */
export const PAYMENT_CONSENT_SCOPE: Record<PaymentConsentKind, 'payments' | 'fundsconfirmations'> = {
  'domestic-payment': 'payments',
  'domestic-scheduled-payment': 'payments',
  'funds-confirmation': 'fundsconfirmations',
  'domestic-vrp': 'payments',
  'domestic-standing-order': 'payments',
};

