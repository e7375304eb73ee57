import { describe, expect, it } from 'vitest';

import { accountAccessStatusAsOf, canPaymentConsentTransition, EXPIRING_PAYMENT_CONSENT_KINDS, isRecurringPaymentConsent, paymentConsentStatusAsOf, STALE_AWAITING_STATUS } from './consent-status.js';
import { isConsentLive } from './consent-queries.js';
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

describe('a consent status as of an instant (before the sweep writes it)', () => {
  const created = new Date('2026-12-07T09:00:00.000Z');
  const updated = new Date('2026-12-07T09:05:00.000Z');
  const ends = new Date('2026-12-07T12:00:00.000Z');
  const clock = (iso: string) => ({ now: new Date(iso), awaitingMaxAgeSeconds: 3600 });
  const consent = <S extends string>(status: S, expirationDateTime: Date | null = ends) => ({ status, creationDateTime: created, statusUpdateDateTime: updated, expirationDateTime });

  it('ends an AUTH account-access consent at its ExpirationDateTime, the instant isConsentLive stops holding', () => {
    for (const [at, live] of [['2026-12-07T11:59:59.999Z', true], ['2026-12-07T12:00:00.000Z', false]] as const) {
      expect(isConsentLive(consent('AUTH'), new Date(at))).toBe(live);
      expect(accountAccessStatusAsOf(consent('AUTH'), clock(at))).toEqual(live ? { status: 'AUTH', statusUpdateDateTime: updated } : { status: 'EXPD', statusUpdateDateTime: ends });
    }
  });

  it('ends an AWAU consent at the awaiting cutoff or its end, whichever comes first, and leaves final statuses alone', () => {
    const cutoff = new Date(created.getTime() + 3_600_000);
    expect(accountAccessStatusAsOf(consent('AWAU'), clock('2026-12-07T10:00:00.000Z'))).toEqual({ status: 'EXPD', statusUpdateDateTime: cutoff });
    expect(accountAccessStatusAsOf(consent('AWAU', new Date('2026-12-07T09:30:00.000Z')), clock('2026-12-07T13:00:00.000Z'))).toEqual({
      status: 'EXPD',
      statusUpdateDateTime: new Date('2026-12-07T09:30:00.000Z'),
    });
    for (const status of ['CANC', 'RJCT', 'EXPD'] as const) expect(accountAccessStatusAsOf(consent(status), clock('2026-12-08T00:00:00.000Z')).status).toBe(status);
    expect(accountAccessStatusAsOf(consent('AUTH', null), clock('2099-01-01T00:00:00.000Z')).status).toBe('AUTH');
  });

  it("gives a payment consent its kind's end: EXPD for the kinds that expire, the stale status for one awaited too long, COND untouched", () => {
    const late = clock('2026-12-08T00:00:00.000Z');
    for (const kind of ['domestic-payment', 'domestic-scheduled-payment', 'domestic-standing-order', 'domestic-vrp', 'funds-confirmation'] as const) {
      const expires = EXPIRING_PAYMENT_CONSENT_KINDS.includes(kind);
      expect(paymentConsentStatusAsOf({ ...consent('AUTH'), kind }, late).status, kind).toBe(expires ? 'EXPD' : 'AUTH');
      expect(paymentConsentStatusAsOf({ ...consent('AWAU', null), kind }, late).status, kind).toBe(STALE_AWAITING_STATUS[kind]);
      expect(paymentConsentStatusAsOf({ ...consent('COND'), kind }, late).status, kind).toBe('COND');
    }
  });
});
