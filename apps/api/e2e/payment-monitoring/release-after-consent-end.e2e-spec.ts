import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ApiHarness, CallResult, jsonString } from '../support/api-harness.js';
import { ObAccount, PaymentFixtures, PsuAccount, vrpConsentBody } from '../support/payment-fixtures.js';
import { riskFiles, SMALL_NEW_PAYEE_HOLD_RULES } from '../support/risk-fixtures.js';

const PISP = '/open-banking/v4.0/pisp';
const REVIEWS = '/admin/payment-reviews';

/**
 * A VRP held for review whose consent ends (its ValidToDateTime passes) while it waits. The consent-expiry
 * sweep makes such a consent EXPD on its own schedule; until 7 December 2026 a release that came before the
 * sweep read the consent still AUTH and paid the VRP after its consent had ended. The release now reads
 * the consent's end on the database's clock: refused (409) as for an EXPD consent, whenever the sweep runs.
 */
describe('payment monitoring: a held VRP whose consent ended while it waited is not released', () => {
  let h: ApiHarness;
  let fixtures: PaymentFixtures;
  let files: Awaited<ReturnType<typeof riskFiles>>;
  let debtor: PsuAccount;
  let admin: Record<string, string>;

  beforeAll(async () => {
    files = await riskFiles(SMALL_NEW_PAYEE_HOLD_RULES, []);
    h = await ApiHarness.start('release_after_consent_end', files.env);
    fixtures = await PaymentFixtures.of(h);
    [debtor] = await fixtures.accountsOf('alice', 1);
    await fixtures.setBalance(debtor!.accountId, '1000.00');
    admin = { authorization: `Bearer ${await h.adminSession()}` };
  });
  afterAll(async () => {
    await h?.stop();
    await files?.remove();
  });

  function review(paymentId: string, decision: 'release' | 'reject'): Promise<CallResult> {
    return h.call('POST', `${REVIEWS}/${paymentId}/${decision}`, { headers: admin, body: { reason: 'Checked with the customer' } });
  }

  /** The payment's status changes in the audit trail, oldest first. */
  async function statusChanges(paymentId: string): Promise<string[]> {
    const rows: Array<{ change: string }> = await h.dataSource.query(
      `SELECT concat(event->'actor'->>'type', ' ', event->'data'->>'from', '->', event->'data'->>'to', ' ', event->'data'->>'statusReason') AS change FROM audit_outbox
        WHERE event->>'type' = 'payment.status-changed' AND event->'data'->>'paymentId' = $1 ORDER BY created_seq`,
      [paymentId],
    );
    return rows.map((row) => row.change.trim());
  }

  it('refuses the release (409) once ValidToDateTime has passed while the consent is still AUTH: nothing debited, the review stays open for a reject', async () => {
    const payee: ObAccount = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40000070000001', Name: 'Ending VRP Payee' };
    const validTo = new Date(Date.now() + 4_000);
    const created = await h.signedPost(`${PISP}/domestic-vrp-consents`, {
      token: await h.clientCredentialsToken({ scope: 'payments' }),
      body: vrpConsentBody(payee, { ValidToDateTime: validTo.toISOString() }),
    });
    const { consentId, psuToken } = await fixtures.approve(created, debtor!.accountId, 'payments');
    const made = await fixtures.vrp(psuToken, consentId, payee, '20.00', 'VRP-ENDING-1');
    expect(made.status).toBe(201);
    // Held for review: a new payee.
    expect(made.body.Data.Status).toBe('PDNG');
    const paymentId = jsonString(made.body.Data.DomesticVRPId);
    const before = await fixtures.available(debtor!.accountId);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, validTo.getTime() - Date.now() + 250)));
    // The consent-expiry sweep (the worker's) has not run: the consent still says AUTH.
    const [consent] = await h.dataSource.query(`SELECT status FROM payment_consent WHERE consent_id = $1`, [consentId]);
    expect(consent).toEqual({ status: 'AUTH' });

    const refused = await review(paymentId, 'release');
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ error: 'invalid_status', message: "The VRP's consent ended (its ValidToDateTime passed): reject the payment" });
    expect(await fixtures.available(debtor!.accountId)).toBe(before);
    expect(await statusChanges(paymentId)).toEqual([]);
    const [row] = await h.dataSource.query(
      `SELECT v.status, v.ledger_transaction_id, r.review_status FROM vrp_payment v JOIN payment_risk_assessment r USING (payment_id) WHERE v.payment_id = $1`,
      [paymentId],
    );
    expect(row).toEqual({ status: 'PDNG', ledger_transaction_id: null, review_status: 'held' });
    const [{ n }] = await h.dataSource.query(`SELECT count(*)::int AS n FROM transaction WHERE transaction_id = $1`, [paymentId]);
    expect(n).toBe(0);

    // The admin rejects it: RJCT FR01, still nothing debited.
    const rejected = await review(paymentId, 'reject');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toEqual({ outcome: 'rejected', paymentId, status: 'RJCT', statusReason: 'FR01' });
    expect(await statusChanges(paymentId)).toEqual(['admin PDNG->RJCT FR01']);
    expect(await fixtures.available(debtor!.accountId)).toBe(before);
    const read = await h.tpp('GET', `${PISP}/domestic-vrps/${paymentId}`, { token: await h.clientCredentialsToken({ scope: 'payments' }) });
    expect(read.body.Data.Status).toBe('RJCT');
  });
});
