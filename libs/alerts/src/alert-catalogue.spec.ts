import { describe, expect, it } from 'vitest';

import type { AuditActorType, AuditEventType } from '@consentry/audit';

import { ALERT_CATALOGUE, AlertContext, AlertSourceEvent, deriveAlert, FAILED_SIGN_INS_ALERT_COUNT, isAtOrAbove, isValidThreshold, readableAmount } from './alert-catalogue.js';
import { maskEmail, renderAlertEmail } from './alert-email.js';

function event(type: AuditEventType, data: Record<string, unknown> = {}, actorType: AuditActorType = 'system'): AlertSourceEvent {
  return {
    seq: '1',
    eventId: '00000000-0000-4000-8000-000000000001',
    type,
    occurredAt: new Date('2026-12-05T06:00:00Z'),
    actorType,
    psuId: 'psu-alice',
    clientId: 'client-1',
    consentId: 'consent-1',
    data,
  };
}

const context: AlertContext = { appName: 'Budget Buddy', paymentThreshold: '100.00' };

describe('the alert catalogue', () => {
  it('alerts when an app is granted access, and when a consent is re-confirmed', () => {
    expect(deriveAlert(event('consent.authorised', {}, 'psu'), context)).toMatchObject({ kind: 'access-granted', psuId: 'psu-alice', title: 'You gave Budget Buddy access' });
    expect(deriveAlert(event('consent.reauthenticated', {}, 'psu'), context)?.kind).toBe('consent-reconfirmed');
  });

  it('alerts on a payment or VRP at or above the threshold, and not just under it', () => {
    const vrp = event('payment.submitted', { paymentId: 'p1', kind: 'domestic-vrp', status: 'PDNG', amount: '100.00', currency: 'GBP' }, 'tpp');
    expect(deriveAlert(vrp, context)).toMatchObject({ kind: 'payment-above-threshold', title: 'A recurring payment (VRP) of 100.00 GBP' });
    const under = event('payment.submitted', { paymentId: 'p2', kind: 'domestic-payment', amount: '99.99', currency: 'GBP' }, 'tpp');
    expect(deriveAlert(under, context)).toBeNull();
    expect(deriveAlert(vrp, { ...context, paymentThreshold: null })).toBeNull();
  });

  it('alerts on a standing order by the largest payment it will make, not its first', () => {
    // A token first payment, then large ones: until 7 December 2026 only the 1.00 was compared.
    const mandate = event('payment.submitted', { paymentId: 's1', kind: 'domestic-standing-order', status: 'PDNG', amount: '1.00', largestAmount: '5000.00', currency: 'GBP', frequency: 'WEEK' }, 'tpp');
    expect(deriveAlert(mandate, context)).toMatchObject({
      kind: 'payment-above-threshold',
      title: 'A standing order of up to 5000.00 GBP a payment',
      body: 'A standing order of up to 5000.00 GBP a payment was set up through Budget Buddy, at or above your alert threshold of 100.00. If you did not set it up, call us.',
    });
    expect(deriveAlert(event('payment.submitted', { kind: 'domestic-standing-order', amount: '1.00', largestAmount: '99.99', currency: 'GBP' }, 'tpp'), context)).toBeNull();
  });

  it('states a saved threshold as people type it, not as the database holds it', () => {
    const paid = event('payment.submitted', { paymentId: 'p3', kind: 'domestic-payment', amount: '150.00', currency: 'GBP' }, 'tpp');
    // numeric(18,5) as text: until 7 December 2026 the words said "100.00000".
    expect(deriveAlert(paid, { ...context, paymentThreshold: '100.00000' })?.body).toContain('your alert threshold of 100.00.');
    expect(readableAmount('0.12345')).toBe('0.12345');
    expect(readableAmount('250')).toBe('250.00');
  });

  it('alerts on a payment the risk engine held or rejected, and not on one it allowed', () => {
    const assessed = (decision: string): AlertSourceEvent =>
      event('payment.risk-assessed', { paymentId: 'p1', paymentKind: 'domestic-payment', decision, score: 80, rules: [{ name: 'new-payee', score: 80 }], amount: '1500.00', currency: 'GBP' });
    expect(deriveAlert(assessed('hold'), context)).toMatchObject({ kind: 'payment-held', title: 'A payment is on hold' });
    expect(deriveAlert(assessed('reject'), context)).toMatchObject({ kind: 'payment-rejected', title: 'A payment was stopped' });
    expect(deriveAlert(assessed('allow'), context)).toBeNull();
    // No tipping-off: the rule that fired is never in the words.
    expect(JSON.stringify(deriveAlert(assessed('hold'), context))).not.toContain('new-payee');
  });

  it('tells the PSU how the review of a held payment ended: released, rejected by an admin, or not reviewed in time', () => {
    const reviewed = (type: 'payment.review.released' | 'payment.review.rejected' | 'payment.review.expired'): AlertSourceEvent =>
      event(type, { paymentId: 'p1', paymentKind: 'domestic-vrp', decision: 'reject' }, 'admin');
    expect(deriveAlert(reviewed('payment.review.released'), context)).toMatchObject({ kind: 'payment-released', title: 'A recurring payment (VRP) was checked' });
    expect(deriveAlert(reviewed('payment.review.rejected'), context)).toMatchObject({ kind: 'payment-rejected', title: 'A recurring payment (VRP) was stopped' });
    expect(deriveAlert(reviewed('payment.review.expired'), context)).toMatchObject({ kind: 'payment-rejected', title: 'A recurring payment (VRP) was stopped' });
    expect(deriveAlert(event('payment.review.release-requested', { paymentId: 'p1', paymentKind: 'domestic-vrp' }, 'admin'), context)).toBeNull();
  });

  it('alerts on a payment rejected for another reason than fraud, once', () => {
    expect(deriveAlert(event('payment.status-changed', { paymentId: 'p1', from: 'PDNG', to: 'RJCT', statusReason: 'AM04' }), context)?.kind).toBe('payment-rejected');
    expect(deriveAlert(event('payment.status-changed', { paymentId: 'p1', from: 'PDNG', to: 'RJCT', statusReason: 'FR01' }), context)).toBeNull();
    expect(deriveAlert(event('payment.status-changed', { paymentId: 'p1', from: 'PDNG', to: 'ACSP' }), context)).toBeNull();
  });

  it('alerts on a locked sign-in, and on failed sign-ins once per burst: the third in the window, then not while one was alerted within it', () => {
    expect(deriveAlert(event('psu.locked'), context)?.kind).toBe('sign-in-locked');
    const failed = event('psu.login.failed', { reason: 'bad_password' });
    expect(deriveAlert(failed, { ...context, failedSignInsInWindow: FAILED_SIGN_INS_ALERT_COUNT - 1 })).toBeNull();
    expect(deriveAlert(failed, { ...context, failedSignInsInWindow: FAILED_SIGN_INS_ALERT_COUNT })?.kind).toBe('failed-sign-ins');
    expect(deriveAlert(failed, { ...context, failedSignInsInWindow: FAILED_SIGN_INS_ALERT_COUNT + 1, failedSignInsAlertedInWindow: true })).toBeNull();
    // Failures a few minutes apart keep the window at three or more; past the last alert's window, a new burst.
    expect(deriveAlert(failed, { ...context, failedSignInsInWindow: FAILED_SIGN_INS_ALERT_COUNT, failedSignInsAlertedInWindow: true })).toBeNull();
    expect(deriveAlert(failed, { ...context, failedSignInsInWindow: FAILED_SIGN_INS_ALERT_COUNT + 2, failedSignInsAlertedInWindow: false })?.kind).toBe('failed-sign-ins');
  });

  it('never puts a link in its words: a TPP name holding one is "an app"', () => {
    // Until 8 December 2026 a TPP registered as "... confirm it at https://..." put its link in the bank's email.
    for (const name of ['Budget Buddy - confirm it at https://budget-buddy-secure.example/verify', 'Visit www.budget.example', 'Budget Buddy (budget-buddy-secure.example)', 'help@budget.example', 'Budget Buddy hxxps://x']) {
      const alert = deriveAlert(event('consent.authorised'), { ...context, appName: name })!;
      expect(alert.title, name).toBe('You gave an app access');
      expect(alert.body).not.toContain('example');
    }
    expect(deriveAlert(event('consent.authorised'), { ...context, appName: 'Budget Buddy Ltd. & Co' })!.title).toBe('You gave Budget Buddy Ltd. & Co access');
  });

  it('alerts on an expired consent, and on a revocation by the app but not by the PSU', () => {
    expect(deriveAlert(event('consent.expired', { from: 'AUTH', to: 'EXPD' }), context)?.kind).toBe('consent-expired');
    // A request the PSU never approved gave no access to end (until 7 December 2026 it was alerted).
    expect(deriveAlert(event('consent.expired', { from: 'AWAU', to: 'EXPD' }), context)).toBeNull();
    expect(deriveAlert(event('consent.revoked', {}, 'tpp'), context)).toMatchObject({ kind: 'consent-revoked-by-app', title: 'Budget Buddy ended its access' });
    expect(deriveAlert(event('consent.revoked', {}, 'psu'), context)).toBeNull();
  });

  it('makes no alert without a PSU, nor for an event outside the catalogue', () => {
    expect(deriveAlert({ ...event('consent.authorised'), psuId: null }, context)).toBeNull();
    expect(deriveAlert(event('data.accessed'), context)).toBeNull();
  });

  it('names an unknown app "an app", and every kind it makes is in the catalogue', () => {
    const alert = deriveAlert(event('consent.expired', { from: 'AUTH', to: 'EXPD' }), { appName: null, paymentThreshold: null });
    expect(alert?.body).toContain('an app');
    expect(ALERT_CATALOGUE['consent.expired']).toContain(alert?.kind);
  });
});

describe('amounts and thresholds', () => {
  it('compares decimal amounts exactly', () => {
    expect(isAtOrAbove('1000.00', '1000')).toBe(true);
    expect(isAtOrAbove('999.99999', '1000')).toBe(false);
    expect(isAtOrAbove('0.1', '0.09')).toBe(true);
  });

  it('accepts a positive amount only as a threshold', () => {
    expect(isValidThreshold('250.00')).toBe(true);
    expect(isValidThreshold('0')).toBe(false);
    expect(isValidThreshold('-5')).toBe(false);
    expect(isValidThreshold('1e5')).toBe(false);
    expect(isValidThreshold('1.123456')).toBe(false);
  });
});

describe('the alert email', () => {
  it('carries the alert words, no link and no account number', () => {
    const mail = renderAlertEmail({ alertId: 'a-1', title: 'A payment is on hold', body: 'A payment made through Budget Buddy is being checked.', createdAt: new Date('2026-12-05T06:00:00Z') });
    expect(mail.subject).toBe('Consentry alert: A payment is on hold');
    expect(mail.text).toContain('A payment made through Budget Buddy is being checked.');
    expect(mail.text).not.toMatch(/https?:\/\//);
    expect(mail.text).not.toMatch(/\d{8}/);
  });

  it('masks an email address', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('broken')).toBe('***');
  });
});
