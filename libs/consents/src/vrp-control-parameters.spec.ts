import { describe, expect, it } from 'vitest';

import {
  amountUnits,
  checkVrpPayment,
  controlParameterDefinitionProblems,
  VrpControlParameters,
  VrpPaymentCheck,
  vrpPeriodAt,
  vrpFundsConfirmationProblem,
  vrpPeriodCuts,
  obInstant,
} from './vrp-control-parameters.js';

const iso = (period: { start: Date; end: Date }) => [period.start.toISOString(), period.end.toISOString()];
const created = new Date('2026-01-31T10:00:00Z');

function params(overrides: Partial<VrpControlParameters> = {}): VrpControlParameters {
  return {
    MaximumIndividualAmount: { Amount: '100.00', Currency: 'GBP' },
    PeriodicLimits: [{ PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '150', Currency: 'GBP' }],
    VRPType: ['UK.OBIE.VRPType.Other'],
    PSUAuthenticationMethods: ['UK.OBIE.SCA'],
    ...overrides,
  };
}

function check(overrides: Partial<VrpPaymentCheck> = {}): VrpPaymentCheck {
  return {
    params: params(),
    consentCreatedAt: created,
    at: new Date('2026-02-10T12:00:00Z'),
    amount: '10.00',
    currency: 'GBP',
    vrpType: 'UK.OBIE.VRPType.Other',
    creditorIsPsusOwn: false,
    counted: [],
    ...overrides,
  };
}

describe('VRP periods in Europe/London', () => {
  it('starts a calendar day at London midnight, an hour before UTC midnight in summer time', () => {
    expect(iso(vrpPeriodAt('Day', 'Calendar', created, new Date('2026-07-01T23:30:00Z')))).toEqual(['2026-07-01T23:00:00.000Z', '2026-07-02T23:00:00.000Z']);
    expect(iso(vrpPeriodAt('Day', 'Calendar', created, new Date('2026-01-15T23:30:00Z')))).toEqual(['2026-01-15T00:00:00.000Z', '2026-01-16T00:00:00.000Z']);
  });

  it('makes the day the clocks go forward 23 hours and the day they go back 25', () => {
    const spring = vrpPeriodAt('Day', 'Calendar', created, new Date('2026-03-29T12:00:00Z'));
    expect(iso(spring)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z']);
    const autumn = vrpPeriodAt('Day', 'Calendar', created, new Date('2026-10-25T12:00:00Z'));
    expect(iso(autumn)).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * 3_600_000);
  });

  it('puts 00:30 London time on the first summer-time morning in that London day, not the UTC one', () => {
    // 2026-03-28T23:30Z is 23:30 GMT on the 28th; 2026-03-29T23:30Z is 00:30 BST on the 30th.
    expect(iso(vrpPeriodAt('Day', 'Calendar', created, new Date('2026-03-28T23:30:00Z')))[0]).toBe('2026-03-28T00:00:00.000Z');
    expect(iso(vrpPeriodAt('Day', 'Calendar', created, new Date('2026-03-29T23:30:00Z')))[0]).toBe('2026-03-29T23:00:00.000Z');
  });

  it('aligns calendar weeks to Monday, months, half-years and years to the calendar', () => {
    const at = new Date('2026-10-25T12:00:00Z'); // a Sunday, the day summer time ends
    expect(iso(vrpPeriodAt('Week', 'Calendar', created, at))).toEqual(['2026-10-18T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
    expect(iso(vrpPeriodAt('Month', 'Calendar', created, at))).toEqual(['2026-09-30T23:00:00.000Z', '2026-11-01T00:00:00.000Z']);
    expect(iso(vrpPeriodAt('Half-year', 'Calendar', created, at))).toEqual(['2026-06-30T23:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(iso(vrpPeriodAt('Year', 'Calendar', created, at))).toEqual(['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('repeats consent-aligned periods from the London date of creation', () => {
    // Created 31 Jan: months run 31 Jan, 28 Feb, 31 Mar (clamped to each month's last day).
    expect(iso(vrpPeriodAt('Month', 'Consent', created, new Date('2026-02-27T12:00:00Z')))).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
    expect(iso(vrpPeriodAt('Month', 'Consent', created, new Date('2026-03-30T12:00:00Z')))).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-30T23:00:00.000Z']);
    expect(iso(vrpPeriodAt('Fortnight', 'Consent', created, new Date('2026-02-14T12:00:00Z')))).toEqual(['2026-02-14T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
    expect(iso(vrpPeriodAt('Week', 'Consent', created, new Date('2026-03-30T00:30:00Z')))).toEqual(['2026-03-28T00:00:00.000Z', '2026-04-03T23:00:00.000Z']);
    expect(iso(vrpPeriodAt('Half-year', 'Consent', created, new Date('2026-08-01T12:00:00Z')))).toEqual(['2026-07-30T23:00:00.000Z', '2027-01-31T00:00:00.000Z']);
    expect(iso(vrpPeriodAt('Year', 'Consent', created, new Date('2026-01-30T12:00:00Z')))).toEqual(['2025-01-31T00:00:00.000Z', '2026-01-31T00:00:00.000Z']);
  });

  it('takes the creation date in London: 23:30 UTC on a summer evening is the next London day', () => {
    const lateSummer = new Date('2026-06-30T23:30:00Z');
    expect(iso(vrpPeriodAt('Day', 'Consent', lateSummer, new Date('2026-07-01T08:00:00Z')))[0]).toBe('2026-06-30T23:00:00.000Z');
  });

  it('refuses a calendar-aligned fortnight', () => {
    expect(() => vrpPeriodAt('Fortnight', 'Calendar', created, created)).toThrow(RangeError);
  });

  it('cuts the periods holding an instant into ordered slices, each start and end once', () => {
    const p = params({
      PeriodicLimits: [
        { PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '1', Currency: 'GBP' },
        { PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '1', Currency: 'GBP' },
        { PeriodType: 'Week', PeriodAlignment: 'Calendar', Amount: '1', Currency: 'GBP' },
        { PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '2', Currency: 'GBP' },
      ],
    });
    expect(vrpPeriodCuts(p, created, new Date('2026-02-10T12:00:00Z')).map((at) => at.toISOString())).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-02-09T00:00:00.000Z',
      '2026-02-10T00:00:00.000Z',
      '2026-02-11T00:00:00.000Z',
      '2026-02-16T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    expect(vrpPeriodCuts(params({ PeriodicLimits: [] }), created, new Date('2026-02-10T12:00:00Z'))).toEqual([]);
  });

  it('gives the same answer from the sums per slice as from the payments themselves', () => {
    const limits: VrpControlParameters['PeriodicLimits'] = [
      { PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '30', Currency: 'GBP' },
      { PeriodType: 'Week', PeriodAlignment: 'Calendar', Amount: '60', Currency: 'GBP' },
      { PeriodType: 'Month', PeriodAlignment: 'Calendar', Amount: '100', Currency: 'GBP' },
    ];
    const p = params({ MaximumIndividualAmount: { Amount: '50', Currency: 'GBP' }, PeriodicLimits: limits });
    const at = new Date('2026-02-10T12:00:00Z');
    const cuts = vrpPeriodCuts(p, created, at);
    const payments = [
      { amount: '20.00', at: new Date('2026-02-02T09:00:00Z') },
      { amount: '15.50', at: new Date('2026-02-09T10:00:00Z') },
      { amount: '10.25', at: new Date('2026-02-10T08:00:00Z') },
      { amount: '9.00', at: new Date('2026-02-10T11:00:00Z') },
    ];
    const sliced = cuts.slice(0, -1).map((start, i) => ({
      amount: payments
        .filter((x) => x.at >= start && x.at < cuts[i + 1]!)
        .reduce((sum, x) => sum + amountUnits(x.amount), 0n)
        .toString()
        .replace(/(\d{5})$/, '.$1'),
      at: start,
    }));
    for (const amount of ['10.00', '10.76', '14.50', '44.99']) {
      const check = { params: p, consentCreatedAt: created, at, amount, currency: 'GBP', vrpType: 'UK.OBIE.VRPType.Other', creditorIsPsusOwn: false };
      expect(checkVrpPayment({ ...check, counted: sliced })).toEqual(checkVrpPayment({ ...check, counted: payments }));
    }
  });
});

describe('VRP control parameters', () => {
  it('compares amounts exactly, to five decimals', () => {
    expect(amountUnits('0.1') + amountUnits('0.2')).toBe(amountUnits('0.3'));
    expect(amountUnits('12.34567')).toBe(1_234_567n);
    expect(amountUnits('7')).toBe(700_000n);
  });

  it('accepts a payment within every parameter', () => {
    expect(checkVrpPayment(check({ amount: '100.00', counted: [{ amount: '50', at: new Date('2026-02-10T01:00:00Z') }] }))).toBeNull();
  });

  it('refuses an amount above MaximumIndividualAmount, or in another currency', () => {
    expect(checkVrpPayment(check({ amount: '100.00001' }))).toMatchObject({ parameter: 'MaximumIndividualAmount', path: 'Data.Instruction.InstructedAmount.Amount' });
    expect(checkVrpPayment(check({ currency: 'EUR' }))).toMatchObject({ parameter: 'MaximumIndividualAmount', path: 'Data.Instruction.InstructedAmount.Currency' });
  });

  it('refuses a payment that would take the period past its limit, counting only payments in the period', () => {
    const counted = [
      { amount: '100', at: new Date('2026-02-10T00:00:00Z') },
      { amount: '40', at: new Date('2026-02-09T23:59:59Z') }, // the day before
    ];
    expect(checkVrpPayment(check({ amount: '50.01', counted }))).toMatchObject({ parameter: 'PeriodicLimits' });
    expect(checkVrpPayment(check({ amount: '50.00', counted: counted.slice(1) }))).toBeNull();
    expect(checkVrpPayment(check({ amount: '50.00', counted: [{ amount: '100', at: new Date('2026-02-10T00:00:00Z') }] }))).toBeNull();
  });

  it('counts a payment at 00:30 BST on the day it is in London', () => {
    const p = params({ PeriodicLimits: [{ PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '100', Currency: 'GBP' }] });
    const counted = [{ amount: '60', at: new Date('2026-07-01T23:30:00Z') }]; // 00:30 on 2 July in London
    expect(checkVrpPayment(check({ params: p, amount: '50', at: new Date('2026-07-01T22:59:00Z'), counted }))).toBeNull();
    expect(checkVrpPayment(check({ params: p, amount: '50', at: new Date('2026-07-02T08:00:00Z'), counted }))).toMatchObject({ parameter: 'PeriodicLimits' });
  });

  it('refuses payments outside the validity window', () => {
    const p = params({ ValidFromDateTime: '2026-02-11T00:00:00Z', ValidToDateTime: '2026-03-01T00:00:00Z' });
    expect(checkVrpPayment(check({ params: p }))).toMatchObject({ parameter: 'ValidFromDateTime' });
    expect(checkVrpPayment(check({ params: p, at: new Date('2026-03-01T00:00:00Z') }))).toMatchObject({ parameter: 'ValidToDateTime' });
    expect(checkVrpPayment(check({ params: p, at: new Date('2026-02-28T23:59:59Z') }))).toBeNull();
  });

  it('holds the window as written, to a window end with more than millisecond digits', () => {
    // Until 7 December 2026 the digits past the millisecond were cut: the first was refused, the second paid.
    const to = params({ ValidToDateTime: '2027-06-02T05:00:00.0005Z' });
    expect(checkVrpPayment(check({ params: to, at: new Date('2027-06-02T05:00:00.000Z') }))).toBeNull();
    expect(checkVrpPayment(check({ params: to, at: new Date('2027-06-02T05:00:00.001Z') }))).toMatchObject({ parameter: 'ValidToDateTime' });
    const from = params({ ValidFromDateTime: '2027-06-02T06:00:00.000900+01:00' });
    expect(checkVrpPayment(check({ params: from, at: new Date('2027-06-02T05:00:00.000Z') }))).toMatchObject({ parameter: 'ValidFromDateTime' });
    expect(checkVrpPayment(check({ params: from, at: new Date('2027-06-02T05:00:00.001Z') }))).toBeNull();
    // Digits that are all zero change nothing.
    expect(obInstant('2027-06-02T05:00:00.000000000Z').toISOString()).toBe('2027-06-02T05:00:00.000Z');
    expect(obInstant('2027-06-02T05:00:00Z').toISOString()).toBe('2027-06-02T05:00:00.000Z');
  });

  it('lets a funds confirmation ask only what one VRP could pay, inside the window, whatever the period has spent', () => {
    const p = params({ ValidFromDateTime: '2026-02-11T00:00:00Z' });
    const at = new Date('2026-02-12T00:00:00Z');
    expect(vrpFundsConfirmationProblem(p, '100.00', 'GBP', at)).toBeNull();
    // The daily limit (150) is not its business: the cap bounds what the answer tells.
    expect(vrpFundsConfirmationProblem(params({ PeriodicLimits: [{ PeriodType: 'Day', PeriodAlignment: 'Calendar', Amount: '1', Currency: 'GBP' }] }), '100.00', 'GBP', at)).toBeNull();
    expect(vrpFundsConfirmationProblem(p, '100.00001', 'GBP', at)).toEqual({ parameter: 'MaximumIndividualAmount', path: 'Data.InstructedAmount.Amount', message: 'The amount is above MaximumIndividualAmount' });
    expect(vrpFundsConfirmationProblem(p, '1.00', 'EUR', at)).toEqual({ parameter: 'MaximumIndividualAmount', path: 'Data.InstructedAmount.Currency', message: 'The currency is not the consent’s' });
    // The window first, as for the VRP.
    expect(vrpFundsConfirmationProblem(p, '500.00', 'EUR', new Date('2026-02-10T00:00:00Z'))).toMatchObject({ parameter: 'ValidFromDateTime', path: 'Data.ConsentId' });
  });

  it('refuses a VRPType the consent does not list, and a sweep to another person’s account', () => {
    expect(checkVrpPayment(check({ vrpType: 'UK.OBIE.VRPType.Sweeping' }))).toMatchObject({ parameter: 'VRPType', path: 'Data.VRPType' });
    const sweeping = params({ VRPType: ['UK.OBIE.VRPType.Sweeping'] });
    expect(checkVrpPayment(check({ params: sweeping, vrpType: 'UK.OBIE.VRPType.Sweeping' }))).toMatchObject({ parameter: 'VRPType' });
    expect(checkVrpPayment(check({ params: sweeping, vrpType: 'UK.OBIE.VRPType.Sweeping', creditorIsPsusOwn: true }))).toBeNull();
  });

  it('finds what is wrong with ControlParameters a TPP sends', () => {
    const now = new Date('2026-02-10T12:00:00Z');
    expect(controlParameterDefinitionProblems(params(), now)).toEqual([]);
    const bad = params({
      MaximumIndividualAmount: { Amount: '0', Currency: 'GBP' },
      PeriodicLimits: [{ PeriodType: 'Fortnight', PeriodAlignment: 'Calendar', Amount: '10', Currency: 'EUR' }],
      ValidFromDateTime: '2026-03-01T00:00:00Z',
      ValidToDateTime: '2026-02-01T00:00:00Z',
    });
    expect(controlParameterDefinitionProblems(bad, now).map((p) => [p.path, p.errorCode])).toEqual([
      ['Data.ControlParameters.MaximumIndividualAmount.Amount', 'U002'],
      ['Data.ControlParameters.PeriodicLimits[0].PeriodAlignment', 'U002'],
      ['Data.ControlParameters.PeriodicLimits[0].Currency', 'U002'],
      ['Data.ControlParameters.ValidToDateTime', 'U003'],
    ]);
    expect(controlParameterDefinitionProblems(params({ ValidToDateTime: '2026-02-01T00:00:00Z' }), now)[0]).toMatchObject({ errorCode: 'U003' });
    // Without an instant, a window already over is not a problem (the API asks that after the idempotency key); one that ends before it starts still is.
    expect(controlParameterDefinitionProblems(params({ ValidToDateTime: '2026-02-01T00:00:00Z' }), null)).toEqual([]);
    expect(controlParameterDefinitionProblems(params({ ValidFromDateTime: '2026-02-02T00:00:00Z', ValidToDateTime: '2026-02-01T00:00:00Z' }), null)).toHaveLength(1);
  });
});
