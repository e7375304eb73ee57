import { describe, expect, it } from 'vitest';

import { describeStandingOrder, describeVrpControlParameters, describeVrpLimit, formatPaymentAmount } from './payment-consent-descriptions.js';

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

  describe('a standing order', () => {
    const day = (at: Date): string => at.toISOString().slice(0, 10);
    const order = {
      FirstPaymentAmount: { Amount: '10', Currency: 'GBP' },
      RecurringPaymentAmount: { Amount: '5.00', Currency: 'GBP' },
      FinalPaymentAmount: { Amount: '1250', Currency: 'GBP' },
      MandateRelatedInformation: { Frequency: { Type: 'WEEK' }, FirstPaymentDateTime: '2027-01-04T09:00:00Z' },
      NumberOfPayments: '3',
    };

    it('words every amount, the frequency and the end the PSU binds', () => {
      expect(describeStandingOrder(order, day)).toEqual([
        { term: 'How often', value: 'Every week', field: 'frequency' },
        { term: 'First payment', value: '10.00 GBP on 2027-01-04', field: 'first-payment' },
        { term: 'Then', value: '5.00 GBP each time', field: 'recurring-payment' },
        { term: 'Last payment', value: '1,250.00 GBP', field: 'final-payment' },
        { term: 'Ends', value: 'After 3 payments', field: 'ends' },
      ]);
    });

    it('says when the runs start and end by date, or that the PSU ends it', () => {
      const { NumberOfPayments: _count, FinalPaymentAmount: _final, ...open } = order;
      const dated = { ...open, MandateRelatedInformation: { ...order.MandateRelatedInformation, RecurringPaymentDateTime: '2027-02-01T09:00:00Z', FinalPaymentDateTime: '2027-06-01T09:00:00Z' } };
      expect(describeStandingOrder(dated, day)?.map((line) => line.value)).toEqual(['Every week', '10.00 GBP on 2027-01-04', '5.00 GBP each time, from 2027-02-01', 'No payment after 2027-06-01']);
      expect(describeStandingOrder({ ...open, RecurringPaymentAmount: undefined }, day)?.slice(2).map((line) => line.value)).toEqual(['10.00 GBP each time', 'When you cancel it']);
    });

    it('reads nothing it cannot schedule', () => {
      expect(describeStandingOrder({ ...order, MandateRelatedInformation: { Frequency: { Type: 'ADHO' }, FirstPaymentDateTime: '2027-01-04T09:00:00Z' } }, day)).toBeNull();
    });
  });
});
