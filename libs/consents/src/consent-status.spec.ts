import { describe, expect, it } from 'vitest';

import { canPaymentConsentTransition, EXPIRING_PAYMENT_CONSENT_KINDS, isRecurringPaymentConsent, STALE_AWAITING_STATUS } from './consent-status.js';
import { approvalTermsOf } from './payment-initiation.js';

describe('payment consent statuses by kind', () => {
  it('lets a funds-confirmation consent be deleted or expire, and never be consumed', () => {
    expect(canPaymentConsentTransition('funds-confirmation', 'AUTH', 'CANC')).toBe(true);
    expect(canPaymentConsentTransition('funds-confirmation', 'AUTH', 'EXPD')).toBe(true);
    expect(canPaymentConsentTransition('funds-confirmation', 'AWAU', 'CANC')).toBe(true);
    expect(canPaymentConsentTransition('funds-confirmation', 'AUTH', 'COND')).toBe(false);
    expect(canPaymentConsentTransition('funds-confirmation', 'CANC', 'AUTH')).toBe(false);
    expect(canPaymentConsentTransition('funds-confirmation', 'EXPD', 'CANC')).toBe(false);
  });

  it('keeps a domestic payment consent without EXPD or CANC', () => {
    expect(canPaymentConsentTransition('domestic-payment', 'AUTH', 'EXPD')).toBe(false);
    expect(canPaymentConsentTransition('domestic-payment', 'AUTH', 'CANC')).toBe(false);
    expect(STALE_AWAITING_STATUS['domestic-payment']).toBe('RJCT');
    expect(STALE_AWAITING_STATUS['funds-confirmation']).toBe('EXPD');
    expect(EXPIRING_PAYMENT_CONSENT_KINDS).toEqual(['funds-confirmation', 'domestic-vrp']);
  });

  it('consumes a standing order consent with its one order, like a domestic payment, and gives its grant no refresh token', () => {
    expect(canPaymentConsentTransition('domestic-standing-order', 'AUTH', 'COND')).toBe(true);
    expect(canPaymentConsentTransition('domestic-standing-order', 'AUTH', 'EXPD')).toBe(false);
    expect(STALE_AWAITING_STATUS['domestic-standing-order']).toBe('RJCT');
    expect(isRecurringPaymentConsent('domestic-standing-order')).toBe(false);
    expect(isRecurringPaymentConsent('domestic-vrp')).toBe(true);
    expect(
      approvalTermsOf('domestic-standing-order', {
        FirstPaymentAmount: { Amount: '50.00', Currency: 'GBP' },
        RecurringPaymentAmount: { Amount: '20.00', Currency: 'GBP' },
        CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11223344556677', Name: 'B' },
      }),
    ).toEqual({ debtorAccount: null, money: { amount: '50.00', currency: 'GBP' } });
  });

  it('binds a funds-confirmation approval to its named account and no money', () => {
    expect(approvalTermsOf('funds-confirmation', { DebtorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11223344556677', Name: 'A' } })).toEqual({
      debtorAccount: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '11223344556677' },
      money: null,
    });
    expect(
      approvalTermsOf('domestic-payment', {
        InstructedAmount: { Amount: '1.50', Currency: 'GBP' },
        CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11223344556677', Name: 'B' },
      }),
    ).toEqual({ debtorAccount: null, money: { amount: '1.50', currency: 'GBP' } });
  });
});
