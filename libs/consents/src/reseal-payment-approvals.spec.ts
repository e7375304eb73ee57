import { JsonObject } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AuthorisePaymentConsent } from './authorise-payment-consent.use-case.js';
import { CreatePaymentConsent } from './create-payment-consent.use-case.js';
import { insertPayer } from './payer.spec-support.js';
import { approvalOf, PaymentApprovalSeal } from './payment-approval-seal.js';
import { resealPaymentApprovals } from './reseal-payment-approvals.js';

const PSU = '00000000-0000-4000-8000-0000000000e1';
const CLIENT = 'tpp-reseal';
const OLD = { kid: 'k2025', key: Buffer.alloc(32, 0x25) };
const NEW = { kid: 'k2026', key: Buffer.alloc(32, 0x26) };

const initiation = (amount: string): JsonObject => ({
  InstructionIdentification: `I-${amount}`,
  EndToEndIdentification: `E-${amount}`,
  InstructedAmount: { Amount: amount, Currency: 'GBP' },
  CreditorAccount: { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400412345678', Name: 'Payee Ltd' },
});

describe('re-sealing payment approvals in a keyring rotation', () => {
  let db: TestDatabase;
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);

  beforeAll(async () => {
    db = await createTestDatabase('reseal_payment_approvals');
    await insertPayer(db, { clientId: CLIENT, aspspId: 'bank-r', psuId: PSU, username: 'r1', accountId: 'acc-r', identification: '33333333333333' });
  }, 120_000);
  afterAll(async () => db?.drop());

  async function consent(amount: string, sealedWith: PaymentApprovalSeal | null): Promise<string> {
    const { consentId } = await new CreatePaymentConsent(db.dataSource).execute({ clientId: CLIENT, kind: 'domestic-payment', initiation: initiation(amount), risk: {} });
    if (sealedWith) await new AuthorisePaymentConsent(db.dataSource, sealedWith, 3600).execute({ consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: 'acc-r', grantId: `grant-${consentId}` });
    return consentId;
  }

  async function sealOf(consentId: string): Promise<string> {
    return ((await q(`SELECT initiation_hash FROM payment_consent WHERE consent_id = $1`, [consentId]))[0] as { initiation_hash: string }).initiation_hash;
  }

  async function holdsUnder(seal: PaymentApprovalSeal, consentId: string): Promise<boolean> {
    const [row] = await q(
      `SELECT consent_id AS "consentId", client_id AS "clientId", psu_id::text AS "psuId", debtor_account_id AS "debtorAccountId", kind, initiation,
              control_parameters AS "controlParameters", initiation_hash AS seal
         FROM payment_consent WHERE consent_id = $1`,
      [consentId],
    );
    return seal.holds(row.seal, approvalOf(row));
  }

  it('re-seals each authorised approval under the first key after verifying it, never an altered one, and once', async () => {
    const before = new PaymentApprovalSeal([OLD]);
    const intact = [await consent('1.00', before), await consent('2.00', before), await consent('3.00', before)];
    const altered = await consent('4.00', before);
    await q(`UPDATE payment_consent SET initiation = jsonb_set(initiation, '{InstructedAmount,Amount}', '"400.00"') WHERE consent_id = $1`, [altered]);
    const awaiting = await consent('5.00', null);
    const rotated = new PaymentApprovalSeal([NEW, OLD]);
    const already = await consent('6.00', rotated);
    const alreadySeal = await sealOf(already);

    const result = await resealPaymentApprovals(db.dataSource, rotated, { batchSize: 2 });
    expect(result).toEqual({ keyId: 'k2026', resealed: 3, unverified: [altered] });
    const newOnly = new PaymentApprovalSeal([NEW]);
    for (const consentId of intact) {
      expect(await sealOf(consentId)).toMatch(/^v1\.k2026\./);
      expect(await holdsUnder(newOnly, consentId)).toBe(true);
    }
    // The altered consent keeps its old seal, which verifies under no key: its payments stay refused.
    expect(await sealOf(altered)).toMatch(/^v1\.k2025\./);
    expect(await holdsUnder(rotated, altered)).toBe(false);
    expect(await sealOf(awaiting)).toBeNull();
    expect(await sealOf(already)).toBe(alreadySeal);

    const again = await resealPaymentApprovals(db.dataSource, rotated);
    expect(again).toEqual({ keyId: 'k2026', resealed: 0, unverified: [altered] });
  });

  it('re-seals a consumed consent whose order is still pending (a scheduled payment, a stranded payment), not one whose order is done', async () => {
    const before = new PaymentApprovalSeal([OLD]);
    const pending = await consent('7.00', before);
    const done = await consent('8.00', before);
    for (const [consentId, status] of [[pending, 'PDNG'], [done, 'ACSC']] as const) {
      await q(`UPDATE payment_consent SET status = 'COND' WHERE consent_id = $1`, [consentId]);
      await q(
        `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, creation_date_time, status_update_date_time)
         SELECT 'pay-' || consent_id, consent_id, client_id, $2, initiation, debtor_account_id, now(), now() FROM payment_consent WHERE consent_id = $1`,
        [consentId, status],
      );
    }
    const rotated = new PaymentApprovalSeal([NEW, OLD]);
    // Until 6 December 2026 only AUTH consents were re-sealed: once the old key went, the pending order failed its approval check.
    expect(await resealPaymentApprovals(db.dataSource, rotated)).toMatchObject({ resealed: 1 });
    expect(await holdsUnder(new PaymentApprovalSeal([NEW]), pending)).toBe(true);
    expect(await sealOf(done)).toMatch(/^v1\.k2025\./);
  });

  it('re-seals the consent of an ended standing order one of whose runs is still pending (held, or sent to its bank unanswered)', async () => {
    const before = new PaymentApprovalSeal([OLD]);
    const consentId = await consent('9.00', before);
    await q(`UPDATE payment_consent SET status = 'COND', kind = 'domestic-standing-order' WHERE consent_id = $1`, [consentId]);
    // (The seal covers the kind: sealed again as the standing order's consent it now is.)
    const [row] = await q(
      `SELECT consent_id AS "consentId", client_id AS "clientId", psu_id::text AS "psuId", debtor_account_id AS "debtorAccountId", kind, initiation,
              control_parameters AS "controlParameters", creation_date_time AS "creationDateTime", expiration_date_time AS "expirationDateTime" FROM payment_consent WHERE consent_id = $1`,
      [consentId],
    );
    await q(`UPDATE payment_consent SET initiation_hash = $2 WHERE consent_id = $1`, [consentId, before.seal(approvalOf(row)!)]);
    await q(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
       SELECT 'dso-' || consent_id, consent_id, client_id, psu_id, 'INCO', initiation, debtor_account_id, 1, NULL, now(), now() FROM payment_consent WHERE consent_id = $1`,
      [consentId],
    );
    await q(
      `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
       VALUES ('dso-' || $1, 0, 'dso-' || $1 || '-run-0', now(), 9, 'GBP', 'PDNG', now())`,
      [consentId],
    );
    // Until 6 December 2026 only a PDNG order counted: once the old key went, the run's release or re-drive failed its approval check for good.
    expect(await resealPaymentApprovals(db.dataSource, new PaymentApprovalSeal([NEW, OLD]))).toMatchObject({ resealed: 1 });
    expect(await holdsUnder(new PaymentApprovalSeal([NEW]), consentId)).toBe(true);
  });
});
