import { describe, expect, it } from 'vitest';

import { describeVrpControlParameters, describeVrpLimit, formatPaymentAmount } from './payment-consent-descriptions.js';

describe('payment consent descriptions', () => {
  it('writes amounts with grouped digits and at least two decimals, never rounded', () => {
    expect(formatPaymentAmount('1250', 'GBP')).toBe('1,250.00 GBP');
    expect(formatPaymentAmount('1234567.5', 'EUR')).toBe('1,234,567.50 EUR');
    expect(formatPaymentAmount('0.12345', 'GBP')).toBe('0.12345 GBP');
  });

  it('words a periodic limit by its alignment', () => {
    expect(describeVrpLimit({ Amount: '150', Currency: 'GBP', PeriodType: 'Month', PeriodAlignment: 'Calendar' })).toBe('150.00 GBP per calendar month');
    expect(describeVrpLimit({ Amount: '20.5', Currency: 'GBP', PeriodType: 'Fortnight', PeriodAlignment: 'Consent' })).toBe(
      '20.50 GBP per fortnight, counted from the day the consent was made',
    );
  });

  it('words a VRP consent’s control parameters as the PSU approved them', () => {
    const words = describeVrpControlParameters({
      VRPType: ['UK.OBIE.VRPType.Sweeping', 'UK.OBIE.VRPType.Other'],
      PSUAuthenticationMethods: ['UK.OBIE.SCA'],
      MaximumIndividualAmount: { Amount: '40.00', Currency: 'GBP' },
      PeriodicLimits: [
        { PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '50', Currency: 'GBP' },
        { PeriodType: 'Year', PeriodAlignment: 'Consent', Amount: '1000', Currency: 'GBP' },
      ],
      ValidToDateTime: '2027-01-31T00:00:00+00:00',
    });
    expect(words).toEqual({
      types: ['Moving money between your own accounts (sweeping)', 'Payments to someone else'],
      maximumPerPayment: '40.00 GBP',
      periodicLimits: ['50.00 GBP per calendar day', '1,000.00 GBP per year, counted from the day the consent was made'],
      validFrom: null,
      validTo: new Date('2027-01-31T00:00:00Z'),
    });
  });
});
