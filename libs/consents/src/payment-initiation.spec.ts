import { describe, expect, it } from 'vitest';

import { canonicalJson, initiationAccountProblem, sameInitiation, summariseInitiation } from './payment-initiation.js';

const initiation = {
  InstructionIdentification: 'INSTR-1',
  EndToEndIdentification: 'E2E-1',
  InstructedAmount: { Amount: '10.50', Currency: 'GBP' },
  CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11223312345678', Name: 'Ada Lovelace' },
  RemittanceInformation: { Unstructured: ['Invoice 7', 'May'] },
};

describe('payment initiation rules', () => {
  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('treats key order as the same Initiation and any changed field as another', () => {
    const reordered = { ...initiation, InstructedAmount: { Currency: 'GBP', Amount: '10.50' } };
    expect(sameInitiation(initiation, reordered)).toBe(true);
    expect(sameInitiation(initiation, { ...initiation, InstructedAmount: { Amount: '10.51', Currency: 'GBP' } })).toBe(false);
    expect(sameInitiation(initiation, { ...initiation, LocalInstrument: 'UK.OBIE.FPS' })).toBe(false);
  });

  it('summarises what the bank acts on', () => {
    expect(summariseInitiation(initiation)).toEqual({
      instructionIdentification: 'INSTR-1',
      endToEndIdentification: 'E2E-1',
      amount: '10.50',
      currency: 'GBP',
      creditorAccount: { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '11223312345678', name: 'Ada Lovelace' },
      debtorAccount: null,
      remittance: 'Invoice 7 May',
    });
  });

  it('finds a stored account no order could name: the payee’s, the debtor’s, a roll number', () => {
    expect(initiationAccountProblem(initiation)).toBeNull();
    expect(initiationAccountProblem({ ...initiation, CreditorAccount: { ...initiation.CreditorAccount, Identification: '11-22-33 12345678' } })).toMatch(/^CreditorAccount\.Identification must be /);
    expect(initiationAccountProblem({ DebtorAccount: { SchemeName: 'UK.OBIE.IBAN', Identification: 'GB00NWBK60161331926819' } })).toMatch(/^DebtorAccount\.Identification must be /);
    expect(initiationAccountProblem({ ...initiation, CreditorAccount: { ...initiation.CreditorAccount, SecondaryIdentification: 'ROLL\u202E1' } })).toMatch(/^CreditorAccount\.SecondaryIdentification must hold no /);
  });

  it('carries the payee’s SecondaryIdentification (a roll number) to the pages and the bank order, only when the consent names one', () => {
    const roll = { ...initiation, CreditorAccount: { ...initiation.CreditorAccount, SecondaryIdentification: 'ROLL 123/A' } };
    expect(summariseInitiation(roll).creditorAccount).toEqual({ schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '11223312345678', name: 'Ada Lovelace', secondaryIdentification: 'ROLL 123/A' });
    expect(summariseInitiation(initiation).creditorAccount).not.toHaveProperty('secondaryIdentification');
  });
});
