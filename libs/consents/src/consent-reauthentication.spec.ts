import { describe, expect, it } from 'vitest';

import { DEFAULT_REAUTHENTICATION_POLICY, needsReauthentication, reauthenticationDueAt } from './consent-reauthentication.js';

const AUTHORISED = new Date('2026-01-01T00:00:00.000Z');
const days = (n: number) => new Date(AUTHORISED.getTime() + n * 86_400_000);

describe('needsReauthentication', () => {
  it('refuses a UK consent from day 90 after authorisation and not before', () => {
    const consent = { status: 'AUTH' as const, jurisdiction: 'UK' as const, authorisedAt: AUTHORISED, reauthenticatedAt: null };
    expect(needsReauthentication(consent, DEFAULT_REAUTHENTICATION_POLICY, new Date(days(90).getTime() - 1))).toBe(false);
    expect(needsReauthentication(consent, DEFAULT_REAUTHENTICATION_POLICY, days(90))).toBe(true);
  });

  it('gives an EU consent 180 days', () => {
    const consent = { status: 'AUTH' as const, jurisdiction: 'EU' as const, authorisedAt: AUTHORISED, reauthenticatedAt: null };
    expect(needsReauthentication(consent, DEFAULT_REAUTHENTICATION_POLICY, days(179))).toBe(false);
    expect(needsReauthentication(consent, DEFAULT_REAUTHENTICATION_POLICY, days(180))).toBe(true);
  });

  it('counts from the last re-authentication', () => {
    const consent = { status: 'AUTH' as const, jurisdiction: 'UK' as const, authorisedAt: AUTHORISED, reauthenticatedAt: days(80) };
    expect(reauthenticationDueAt(consent)).toEqual(days(170));
    expect(needsReauthentication(consent, DEFAULT_REAUTHENTICATION_POLICY, days(120))).toBe(false);
  });

  it('follows a configured policy', () => {
    const consent = { status: 'AUTH' as const, jurisdiction: 'UK' as const, authorisedAt: AUTHORISED, reauthenticatedAt: null };
    expect(needsReauthentication(consent, { periodDays: { UK: 30, EU: 180 } }, days(30))).toBe(true);
  });

  it('never applies to a consent that is not authorised', () => {
    for (const status of ['AWAU', 'RJCT', 'CANC', 'EXPD'] as const) {
      expect(needsReauthentication({ status, jurisdiction: 'UK', authorisedAt: AUTHORISED, reauthenticatedAt: null }, undefined, days(400))).toBe(false);
    }
    expect(reauthenticationDueAt({ status: 'AUTH', jurisdiction: 'UK', authorisedAt: null, reauthenticatedAt: null })).toBeNull();
  });
});
