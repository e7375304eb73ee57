import { recordAuditEvents } from '@consentry/audit';
import { DataSource } from '@consentry/database';

/** The payment-order tables whose executed orders settle alike (domestic payments and VRPs). */
const SETTLED_TABLES = ['domestic_payment', 'vrp_payment'] as const;

/**
 * Settles executed domestic payments and VRPs (ACSP -> ACSC) whose debit is at least `delaySeconds` old, in
 * batches of one UPDATE each, with a payment.status-changed event per payment in the same transaction.
 * The ledger booked the debit at execution; settlement is the scheme's confirmation, so only the
 * payment's status moves. Returns how many were settled.
 */
export async function settleDomesticPayments(dataSource: DataSource, options: { now?: Date; delaySeconds?: number; batchSize?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - (options.delaySeconds ?? 0) * 1000);
  const batchSize = options.batchSize ?? 5_000;
  let total = 0;
  for (const table of SETTLED_TABLES) total += await settleTable(dataSource, table, now, cutoff, batchSize);
  return total;
}

async function settleTable(dataSource: DataSource, table: (typeof SETTLED_TABLES)[number], now: Date, cutoff: Date, batchSize: number): Promise<number> {
  let total = 0;
  for (;;) {
    const settled = await dataSource.transaction(async (manager) => {
      const [rows]: [Array<{ payment_id: string; consent_id: string; client_id: string }>, number] = await manager.query(
        `UPDATE ${table} SET status = 'ACSC', status_update_date_time = $1
          WHERE payment_id = ANY (ARRAY(
            SELECT payment_id FROM ${table} WHERE status = 'ACSP' AND status_update_date_time <= $2
            ORDER BY status_update_date_time LIMIT $3 FOR UPDATE SKIP LOCKED))
         RETURNING payment_id, consent_id, client_id`,
        [now, cutoff, batchSize],
      );
      await recordAuditEvents(
        manager,
        rows.map((row) => ({
          type: 'payment.status-changed' as const,
          actor: { type: 'system' as const, id: 'payment-settlement' },
          clientId: row.client_id,
          consentId: row.consent_id,
          occurredAt: now,
          data: { paymentId: row.payment_id, from: 'ACSP', to: 'ACSC' },
        })),
      );
      return rows.length;
    });
    total += settled;
    if (settled < batchSize) return total;
  }
}
