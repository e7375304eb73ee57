import { createHash, createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { approvalOf, type PaymentApproval, PaymentApprovalSeal } from './payment-approval-seal.js';
import { canonicalJson } from './payment-initiation.js';

const initiation = {
  InstructionIdentification: 'INSTR-1',
  EndToEndIdentification: 'E2E-1',
  InstructedAmount: { Amount: '10.50', Currency: 'GBP' },
  CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '11223312345678', Name: 'Ada Lovelace' },
};
const approval: PaymentApproval = { consentId: 'pdc-1', clientId: 'tpp-1', psuId: 'psu-1', debtorAccountId: 'acc-1', terms: initiation };
const oldKey = { kid: 'k2025', key: Buffer.alloc(32, 1) };
const newKey = { kid: 'k2026', key: Buffer.alloc(32, 2) };

describe('PaymentApprovalSeal (dynamic linking)', () => {
  const seal = new PaymentApprovalSeal([oldKey]);

  it('holds for exactly the approval it sealed, key order aside', () => {
    const sealed = seal.seal(approval);
    expect(sealed).toMatch(/^v1\.k2025\.[A-Za-z0-9_-]{43}$/);
    const reordered = { ...approval, terms: { CreditorAccount: initiation.CreditorAccount, InstructedAmount: { Currency: 'GBP', Amount: '10.50' }, EndToEndIdentification: 'E2E-1', InstructionIdentification: 'INSTR-1' } };
    expect(seal.holds(sealed, reordered)).toBe(true);
  });

  it('does not hold once the payee, the amount, the debtor account, the PSU, the TPP or the consent differ', () => {
    const sealed = seal.seal(approval);
    const changes: Array<Partial<PaymentApproval>> = [
      { terms: { ...initiation, InstructedAmount: { Amount: '10.51', Currency: 'GBP' } } },
      { terms: { ...initiation, CreditorAccount: { ...initiation.CreditorAccount, Identification: '11223387654321' } } },
      { terms: { ...initiation, CreditorAccount: { ...initiation.CreditorAccount, Name: 'Mallory' } } },
      { debtorAccountId: 'acc-2' },
      { psuId: 'psu-2' },
      { clientId: 'tpp-2' },
      { consentId: 'pdc-2' },
    ];
    for (const change of changes) expect(seal.holds(sealed, { ...approval, ...change }), JSON.stringify(change)).toBe(false);
  });

  it('cannot be made without the key: the bare hash of before, a MAC under another key, one under the right kid but the wrong key', () => {
    const bareHash = createHash('sha256').update(canonicalJson({ debtorAccountId: approval.debtorAccountId, initiation })).digest('base64url');
    expect(seal.holds(bareHash, approval)).toBe(false);
    expect(seal.holds(`v1.k2025.${bareHash}`, approval)).toBe(false);
    const forged = new PaymentApprovalSeal([{ kid: 'k2025', key: Buffer.alloc(32, 9) }]).seal(approval);
    expect(seal.holds(forged, approval)).toBe(false);
    // Nor with the raw keyring key, without the derivation.
    const underRawKey = createHmac('sha256', oldKey.key).update(canonicalJson(approval)).digest('base64url');
    expect(seal.holds(`v1.k2025.${underRawKey}`, approval)).toBe(false);
  });

  it('refuses what is not a seal of its form', () => {
    const [, kid, mac] = seal.seal(approval).split('.') as [string, string, string];
    for (const text of [null, '', `v2.${kid}.${mac}`, `v1.${kid}`, `v1.${kid}.${mac}.x`, `v1.other.${mac}`, `v1.${kid}.${mac.slice(0, 40)}`, `v1.${kid}.${mac}AA`]) {
      expect(seal.holds(text, approval), String(text)).toBe(false);
    }
    expect(seal.holds(seal.seal(approval), null)).toBe(false);
  });

  it('keeps approvals sealed under an earlier key while that key stays in the keyring, and writes under the first', () => {
    const sealedBefore = seal.seal(approval);
    const rotated = new PaymentApprovalSeal([newKey, oldKey]);
    expect(rotated.holds(sealedBefore, approval)).toBe(true);
    expect(rotated.seal(approval)).toMatch(/^v1\.k2026\./);
    expect(new PaymentApprovalSeal([newKey]).holds(sealedBefore, approval)).toBe(false);
  });

  it('refuses a keyring it cannot use', () => {
    expect(() => new PaymentApprovalSeal([])).toThrow(/at least one key/);
    expect(() => new PaymentApprovalSeal([{ kid: 'short', key: Buffer.alloc(16) }])).toThrow(/32 bytes/);
    expect(() => new PaymentApprovalSeal([{ kid: 'a.b', key: Buffer.alloc(32) }])).toThrow(/key id/);
  });

  it('reads a stored consent’s approval: a VRP’s control parameters with its Initiation and creation; a funds confirmation’s end; none before the PSU approved', () => {
    const created = new Date('2026-12-01T10:00:00.123Z');
    const stored = {
      consentId: 'vrp-c',
      clientId: 'tpp-1',
      psuId: 'psu-1',
      debtorAccountId: 'acc-1',
      kind: 'domestic-vrp',
      initiation: {},
      controlParameters: { VRPType: ['UK.OBIE.VRPType.Other'] },
      creationDateTime: created,
      expirationDateTime: null,
    };
    expect(approvalOf(stored)).toEqual({
      consentId: 'vrp-c',
      clientId: 'tpp-1',
      psuId: 'psu-1',
      debtorAccountId: 'acc-1',
      terms: { ControlParameters: stored.controlParameters, Initiation: {}, CreationDateTime: '2026-12-01T10:00:00.123Z' },
    });
    // Where Consent-aligned periods start, and a funds confirmation's end, are sealed too.
    expect(approvalOf({ ...stored, creationDateTime: new Date('2026-12-02T10:00:00.123Z') })).not.toEqual(approvalOf(stored));
    const funds = { ...stored, kind: 'funds-confirmation', controlParameters: null, expirationDateTime: new Date('2027-06-01T00:00:00.000Z') };
    expect(approvalOf(funds)?.terms).toEqual({ Initiation: {}, ExpirationDateTime: '2027-06-01T00:00:00.000Z' });
    expect(approvalOf({ ...stored, psuId: null })).toBeNull();
    expect(approvalOf({ ...stored, debtorAccountId: null })).toBeNull();
  });
});
