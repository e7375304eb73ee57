import type { AuditEvent } from '@consentry/audit';
import { describe, expect, it } from 'vitest';

import { eventOfAuditEntry } from './event-production.js';

const API = 'https://api.bank.example';

function entry(overrides: Partial<AuditEvent>): AuditEvent {
  return {
    eventId: '00000000-0000-4000-8000-000000000001',
    type: 'payment.status-changed',
    occurredAt: '2026-12-05T10:00:00.000Z',
    actor: { type: 'system', id: 'payment-execution' },
    clientId: 'tpp-1',
    data: {},
    ...overrides,
  };
}

describe('eventOfAuditEntry', () => {
  it('makes a resource update of each payment order kind, at its own URL', () => {
    expect(eventOfAuditEntry(entry({ data: { paymentId: 'vrp-1', kind: 'domestic-vrp' }, interactionId: 'i-1' }), 'domestic-vrp', API)).toEqual({
      type: 'urn:uk:org:openbanking:events:resource-update',
      clientId: 'tpp-1',
      interactionId: 'i-1',
      occurredAt: new Date('2026-12-05T10:00:00.000Z'),
      resourceId: 'vrp-1',
      resourceType: 'domestic-vrp',
      resourceUrl: `${API}/open-banking/v4.0/pisp/domestic-vrps/vrp-1`,
    });
    // No kind in the entry: the consent's kind says it; no interaction: the entry's id is the txn.
    expect(eventOfAuditEntry(entry({ type: 'payment.submitted', data: { paymentId: 'sp-1' } }), 'domestic-scheduled-payment', API)).toMatchObject({
      resourceUrl: `${API}/open-banking/v4.0/pisp/domestic-scheduled-payments/sp-1`,
      interactionId: '00000000-0000-4000-8000-000000000001',
    });
  });

  it('points a standing order run\'s change at its standing order, the resource the TPP reads', () => {
    const run = entry({ data: { paymentId: 'dso-7-run-3', kind: 'domestic-standing-order', run: 3, from: 'ACSP', to: 'ACSC' } });
    expect(eventOfAuditEntry(run, 'domestic-standing-order', API)).toMatchObject({
      resourceId: 'dso-7',
      resourceType: 'domestic-standing-order',
      resourceUrl: `${API}/open-banking/v4.0/pisp/domestic-standing-orders/dso-7`,
    });
    // The order's own change (a cancellation) names the order already.
    expect(eventOfAuditEntry(entry({ data: { paymentId: 'dso-7', kind: 'domestic-standing-order', from: 'PDNG', to: 'CANC' } }), 'domestic-standing-order', API)).toMatchObject({ resourceId: 'dso-7' });
  });

  it('makes a revocation of a PSU\'s revocation or an expiry, with the reason, but not of the TPP\'s own deletion', () => {
    const revoked = entry({ type: 'consent.revoked', actor: { type: 'psu', id: 'psu-1' }, consentId: 'aac-1', data: { reason: 'Revoked by the PSU' } });
    expect(eventOfAuditEntry(revoked, null, API)).toMatchObject({
      type: 'urn:uk:org:openbanking:events:consent-authorization-revoked',
      resourceType: 'account-access-consent',
      resourceUrl: `${API}/open-banking/v4.0/aisp/account-access-consents/aac-1`,
      reason: 'Revoked by the PSU',
    });
    expect(eventOfAuditEntry({ ...revoked, consentId: 'pmc-1' }, 'funds-confirmation', API)).toMatchObject({
      resourceUrl: `${API}/open-banking/v4.0/cbpii/funds-confirmation-consents/pmc-1`,
    });
    expect(eventOfAuditEntry(entry({ type: 'consent.expired', consentId: 'aac-2', data: { from: 'AUTH', to: 'EXPD' } }), null, API)).toMatchObject({ reason: 'Expired' });
    // A consent never authorised had no authorisation to revoke (until 7 December 2026 it made the event).
    expect(eventOfAuditEntry(entry({ type: 'consent.expired', consentId: 'aac-3', data: { from: 'AWAU', to: 'EXPD' } }), null, API)).toBeNull();
    expect(eventOfAuditEntry({ ...revoked, actor: { type: 'tpp', id: 'tpp-1' } }, null, API)).toBeNull();
  });

  it('makes a linked-account update of an authorised consent whose account changed at the bank, naming the consent', () => {
    const changed = entry({ type: 'consent.linked-account-changed', actor: { type: 'admin', id: 'admin-1' }, consentId: 'aac-2', interactionId: 'i-2', data: { accountId: 'acc-1', change: 'closed' } });
    expect(eventOfAuditEntry(changed, null, API)).toEqual({
      type: 'urn:uk:org:openbanking:events:account-access-consent-linked-account-update',
      clientId: 'tpp-1',
      interactionId: 'i-2',
      occurredAt: new Date('2026-12-05T10:00:00.000Z'),
      resourceId: 'aac-2',
      resourceType: 'account-access-consent',
      resourceUrl: `${API}/open-banking/v4.0/aisp/account-access-consents/aac-2`,
    });
    expect(eventOfAuditEntry({ ...changed, consentId: undefined }, null, API)).toBeNull();
  });

  it('makes nothing of an entry without a TPP, or of other acts', () => {
    expect(eventOfAuditEntry(entry({ clientId: undefined, data: { paymentId: 'dp-1' } }), null, API)).toBeNull();
    expect(eventOfAuditEntry(entry({ type: 'data.accessed', data: { paymentId: 'dp-1' } }), null, API)).toBeNull();
  });
});
