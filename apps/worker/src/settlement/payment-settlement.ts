import { recordAuditEvents } from '@consentry/audit';
import { DataSource, EntityManager } from '@consentry/database';

/** The payment-order tables whose executed orders settle alike (domestic payments and VRPs). */
const SETTLED_TABLES = ['domestic_payment', 'vrp_payment'] as const;

interface SettledRow {
  payment_id: string;
  consent_id: string;
  client_id: string;
  /** A standing order's run: its index (the order's consent and TPP are the run's). */
  run_index?: number;
}

/**
 * Settles executed domestic payments, VRPs and standing-order runs (ACSP -> ACSC) whose debit is at least
 * `delaySeconds` old, in batches of one UPDATE each, with a payment.status-changed event per payment in
 * the same transaction. The ledger booked the debit at execution; settlement is the scheme's
 * confirmation, so only the payment's status moves. Returns how many were settled.
 */
export async function settleDomesticPayments(dataSource: DataSource, options: { now?: Date; delaySeconds?: number; batchSize?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - (options.delaySeconds ?? 0) * 1000);
  const batchSize = options.batchSize ?? 5_000;
  let total = 0;
  for (const table of SETTLED_TABLES) {
    total += await settleInBatches(dataSource, now, batchSize, (manager) =>
      manager.query(
        `UPDATE ${table} SET status = 'ACSC', status_update_date_time = $1
          WHERE payment_id = ANY (ARRAY(
            SELECT payment_id FROM ${table} WHERE status = 'ACSP' AND status_update_date_time <= $2
            ORDER BY status_update_date_time LIMIT $3 FOR UPDATE SKIP LOCKED))
         RETURNING payment_id, consent_id, client_id`,
        [now, cutoff, batchSize],
      ),
    );
  }
  // A standing order's runs: their consent and TPP are the order's.
  total += await settleInBatches(dataSource, now, batchSize, (manager) =>
    manager.query(
      `UPDATE standing_order_run r SET status = 'ACSC', status_update_date_time = $1
         FROM domestic_standing_order o
        WHERE o.standing_order_id = r.standing_order_id
          AND r.payment_id = ANY (ARRAY(
            SELECT payment_id FROM standing_order_run WHERE status = 'ACSP' AND status_update_date_time <= $2
            ORDER BY status_update_date_time LIMIT $3 FOR UPDATE SKIP LOCKED))
       RETURNING r.payment_id, r.run_index, o.consent_id, o.client_id`,
      [now, cutoff, batchSize],
    ),
  );
  return total;
}

async function settleInBatches(
  dataSource: DataSource,
  now: Date,
  batchSize: number,
  settleBatch: (manager: EntityManager) => Promise<[SettledRow[], number]>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const settled = await dataSource.transaction(async (manager) => {
      const [rows] = await settleBatch(manager);
      await recordAuditEvents(
        manager,
        rows.map((row) => ({
          type: 'payment.status-changed' as const,
          actor: { type: 'system' as const, id: 'payment-settlement' },
          clientId: row.client_id,
          consentId: row.consent_id,
          occurredAt: now,
          data: { paymentId: row.payment_id, ...(row.run_index === undefined ? {} : { kind: 'domestic-standing-order', run: row.run_index }), from: 'ACSP', to: 'ACSC' },
        })),
      );
      return rows.length;
    });
    total += settled;
    if (settled < batchSize) return total;
  }
}
