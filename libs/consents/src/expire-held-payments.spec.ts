import { PaymentRiskEngine, parseRiskRules, RISK_REJECTED_DESCRIPTION, RISK_REJECTED_REASON } from '@consentry/risk';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { insertPayer } from './payer.spec-support.js';
import { expireHeldPayments } from './payment-review.js';

const PSU = '00000000-0000-4000-8000-0000000000e1';
const CLIENT = 'tpp-held';
const ACCOUNT = 'hacc-gbp';
const PAYEE = { schemeName: 'UK.OBIE.SortCodeAccountNumber', identification: '40400411112222' };
// Every payment of 1000.00 or more to a payee the account never paid is held.
const RULES = `
thresholds: { hold: 50, reject: 100 }
rules:
  - { name: large-to-new-payee, kind: new-payee, params: { minAmount: "1000.00" }, weight: 50, action: hold }
`;
const MINUTE = 60_000;

type Kind = 'domestic-payment' | 'domestic-vrp' | 'domestic-standing-order';

/** The held payments' rows, as the expiry leaves them. */
interface Outcome {
  payment_id: string;
  status: string;
  status_reason: string | null;
  status_reason_description: string | null;
  review_status: string;
  reviewed_by: string | null;
}

/**
 * The review timeout rejects every held payment past it, of each kind, batch after batch, in set-based
 * statements: each one RJCT FR01 with its two audit events, none held for less than the timeout, and
 * none an admin has locked for review.
 */
describe('expireHeldPayments against PostgreSQL', () => {
  let db: TestDatabase;
  const engine = new PaymentRiskEngine(parseRiskRules(RULES), new Set());
  const q = (sql: string, params: unknown[] = []) => db.dataSource.query(sql, params);
  const held: Array<{ id: string; kind: Kind; at: Date }> = [];
  const start = new Date('2026-12-01T09:00:00Z');

  beforeAll(async () => {
    db = await createTestDatabase('expire_held_payments');
    await insertPayer(db, { clientId: CLIENT, aspspId: 'bank-h', psuId: PSU, username: 'h1', accountId: ACCOUNT, identification: '55555566666666' });
    const kinds: Kind[] = ['domestic-payment', 'domestic-vrp', 'domestic-standing-order'];
    // Seven payments, of the three kinds in turn, held a minute apart.
    for (let n = 0; n < 7; n++) {
      const kind = kinds[n % 3]!;
      const at = new Date(start.getTime() + n * MINUTE);
      const consentId = `pmc-h-${n}`;
      const id = await heldPayment(kind, consentId, n, at);
      held.push({ id, kind, at });
    }
  });
  afterAll(async () => db?.drop());

  /** A PDNG payment of `kind` under a consent of its own, and its risk assessment: held, at `at`. */
  async function heldPayment(kind: Kind, consentId: string, n: number, at: Date): Promise<string> {
    const initiation = { InstructedAmount: { Amount: '1500.00', Currency: 'GBP' }, CreditorAccount: { SchemeName: PAYEE.schemeName, Identification: PAYEE.identification, Name: 'Payee' } };
    await q(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, control_parameters, risk, debtor_account_id, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, $4, 'AUTH', $5::jsonb, $6::jsonb, '{}', $7, $8, $8)`,
      [consentId, kind, CLIENT, PSU, JSON.stringify(initiation), kind === 'domestic-vrp' ? '{}' : null, ACCOUNT, at],
    );
    let paymentId: string;
    if (kind === 'domestic-vrp') {
      paymentId = `vrp-h-${n}`;
      await q(
        `INSERT INTO vrp_payment (payment_id, consent_id, client_id, status, vrp_type, amount, currency, initiation, instruction, risk, psu_authentication_method,
                                  debtor_account_id, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, 'PDNG', 'UK.OBIE.VRPType.Other', 1500, 'GBP', '{}', $4::jsonb, '{}', 'UK.OBIE.SCA', $5, $6, $6)`,
        [paymentId, consentId, CLIENT, JSON.stringify(initiation), ACCOUNT, at],
      );
    } else if (kind === 'domestic-standing-order') {
      paymentId = `sor-h-${n}`;
      await q(
        `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, status, initiation, debtor_account_id, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, 'PDNG', $4::jsonb, $5, $6, $6)`,
        [`dso-h-${n}`, consentId, CLIENT, JSON.stringify(initiation), ACCOUNT, at],
      );
      await q(
        `INSERT INTO standing_order_run (standing_order_id, run_index, payment_id, due_at, amount, currency, status, status_update_date_time)
         VALUES ($1, 0, $2, $3, 1500, 'GBP', 'PDNG', $3)`,
        [`dso-h-${n}`, paymentId, at],
      );
    } else {
      paymentId = `dp-h-${n}`;
      await q(
        `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, creation_date_time, status_update_date_time)
         VALUES ($1, $2, $3, 'PDNG', $4::jsonb, $5, $6, $6)`,
        [paymentId, consentId, CLIENT, JSON.stringify(initiation), ACCOUNT, at],
      );
    }
    const assessment = await db.dataSource.transaction((manager) =>
      engine.assess(manager, { paymentId, paymentKind: kind, consentId, clientId: CLIENT, psuId: PSU, debtorAccountId: ACCOUNT, creditor: PAYEE, amount: '1500.00', currency: 'GBP', at }),
    );
    expect(assessment.decision).toBe('hold');
    return paymentId;
  }

  async function outcomes(): Promise<Outcome[]> {
    return q(
      `SELECT a.payment_id, coalesce(d.status, v.status, r.status) AS status, coalesce(d.status_reason, v.status_reason, r.status_reason) AS status_reason,
              coalesce(d.status_reason_description, v.status_reason_description) AS status_reason_description, a.review_status, a.reviewed_by
         FROM payment_risk_assessment a
         LEFT JOIN domestic_payment d ON d.payment_id = a.payment_id
         LEFT JOIN vrp_payment v ON v.payment_id = a.payment_id
         LEFT JOIN standing_order_run r ON r.payment_id = a.payment_id
        ORDER BY a.assessed_at`,
    );
  }

  const rejected = (id: string, kind: Kind): Outcome => ({
    payment_id: id,
    status: 'RJCT',
    status_reason: RISK_REJECTED_REASON,
    status_reason_description: kind === 'domestic-standing-order' ? null : RISK_REJECTED_DESCRIPTION,
    review_status: 'expired',
    reviewed_by: 'review-timeout',
  });
  const stillHeld = (id: string): Outcome => ({ payment_id: id, status: 'PDNG', status_reason: null, status_reason_description: null, review_status: 'held', reviewed_by: null });

  it('rejects those past the timeout in batches, skips one under review, and writes two events for each', async () => {
    // A 30-minute timeout, 34.5 minutes after the first hold: the first five are past it, the last two not.
    const now = new Date(start.getTime() + 34.5 * MINUTE);
    const underReview = held[1]!;
    // An admin holds the second one's review row (lockHeld's FOR UPDATE) while the expiry runs.
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(`SELECT payment_id FROM payment_risk_assessment WHERE payment_id = $1 FOR UPDATE`, [underReview.id]);
      // Batches of two: four to expire, so three batches (2, 2, then 0 ends the loop).
      expect(await expireHeldPayments(db.dataSource, now, 30, 2)).toBe(4);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await outcomes()).toEqual(held.map((p, n) => (n < 5 && p !== underReview ? rejected(p.id, p.kind) : stillHeld(p.id))));
    // The admin let it go unreviewed: the next run expires it, and nothing else.
    expect(await expireHeldPayments(db.dataSource, now, 30, 2)).toBe(1);
    expect(await outcomes()).toEqual(held.map((p, n) => (n < 5 ? rejected(p.id, p.kind) : stillHeld(p.id))));
    expect(await expireHeldPayments(db.dataSource, now, 30, 2)).toBe(0);

    const events: Array<{ payment_id: string; type: string; to: string | null }> = await q(
      `SELECT event->'data'->>'paymentId' AS payment_id, event->>'type' AS type, event->'data'->>'to' AS to FROM audit_outbox
        WHERE event->>'type' IN ('payment.review.expired', 'payment.status-changed') ORDER BY created_seq`,
    );
    expect(events).toEqual(
      [held[0]!, held[2]!, held[3]!, held[4]!, held[1]!].flatMap((p) => [
        { payment_id: p.id, type: 'payment.review.expired', to: null },
        { payment_id: p.id, type: 'payment.status-changed', to: 'RJCT' },
      ]),
    );
  });
});
