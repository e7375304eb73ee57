import type { TestDatabase } from '@consentry/testing';

import { approvalSealOf } from './approval-seal.js';
import type { Debtor } from './probe-bank.js';

export type StagedOrderKind = 'domestic-scheduled-payment' | 'domestic-standing-order';

/** A payee outside the sandbox: the bank debits without a credit leg. */
export const LANDLORD = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '40400411112222', Name: 'Landlord' };

/**
 * Scheduled payments and standing orders written as the API leaves them once their TPP set them up: the
 * consent its PSU approved (sealed under the worker's SECRETS_KEY) and used (COND), the order PDNG.
 */
export class StagedOrders {
  constructor(
    private readonly db: TestDatabase,
    private readonly clientId: string,
    private readonly secretsKey: Buffer,
  ) {}

  /** A consent of `kind` its PSU approved with `initiation`, used by its one order (COND). */
  async consent(consentId: string, kind: StagedOrderKind, debtor: Debtor, initiation: Record<string, unknown>): Promise<void> {
    const { clientId } = this;
    await this.db.dataSource.query(
      `INSERT INTO payment_consent (consent_id, kind, client_id, psu_id, status, initiation, risk, debtor_account_id, initiation_hash, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, $4, 'COND', $5::jsonb, '{}', $6, $7, now(), now())`,
      [
        consentId,
        kind,
        clientId,
        debtor.psu_id,
        JSON.stringify(initiation),
        debtor.account_id,
        approvalSealOf(this.secretsKey, { consentId, clientId, psuId: debtor.psu_id, debtorAccountId: debtor.account_id, kind, initiation }),
      ],
    );
  }

  /** A scheduled payment of `amount` to `creditor` on `at` (its consent `pmc-<paymentId>`), PDNG until its date. */
  async scheduled(paymentId: string, debtor: Debtor, order: { at: string; amount: string; creditor?: Record<string, string> }): Promise<void> {
    const initiation = {
      InstructionIdentification: `I-${paymentId}`,
      EndToEndIdentification: paymentId,
      RequestedExecutionDateTime: order.at,
      InstructedAmount: { Amount: order.amount, Currency: 'GBP' },
      CreditorAccount: order.creditor ?? LANDLORD,
    };
    await this.consent(`pmc-${paymentId}`, 'domestic-scheduled-payment', debtor, initiation);
    await this.db.dataSource.query(
      `INSERT INTO domestic_payment (payment_id, consent_id, client_id, status, initiation, debtor_account_id, requested_execution_date_time, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, 'PDNG', $4::jsonb, $5, $6, now(), now())`,
      [paymentId, `pmc-${paymentId}`, this.clientId, JSON.stringify(initiation), debtor.account_id, order.at],
    );
  }

  /** A standing order with `initiation` (its consent `pmc-<orderId>`), PDNG, its cursor on run `nextRunIndex` due at `nextRunAt`. */
  async standingOrder(orderId: string, debtor: Debtor, initiation: Record<string, unknown>, cursor: { nextRunIndex: number; nextRunAt: string }): Promise<void> {
    await this.consent(`pmc-${orderId}`, 'domestic-standing-order', debtor, initiation);
    await this.db.dataSource.query(
      `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
       VALUES ($1, $2, $3, $4, 'PDNG', $5::jsonb, $6, $7, $8, now(), now())`,
      [orderId, `pmc-${orderId}`, this.clientId, debtor.psu_id, JSON.stringify(initiation), debtor.account_id, cursor.nextRunIndex, cursor.nextRunAt],
    );
  }
}
