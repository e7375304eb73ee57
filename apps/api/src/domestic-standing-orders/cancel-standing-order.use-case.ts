import { recordAuditEvent } from '@consentry/audit';
import { ConsentException, ConsentExceptionCode } from '@consentry/consents';
import { DataSource } from '@consentry/database';

export interface CancelStandingOrderCommand {
  standingOrderId: string;
  psuId: string;
  interactionId?: string;
}

/**
 * The PSU cancels their standing order (PSD2 Art. 80(4): the payer may revoke a standing order up to the
 * day before its next run). PDNG -> CANC in one statement, which also takes it off the due-run index so no
 * run follows, with its payment.status-changed event in the same transaction. Another PSU's order, or
 * one that does not exist, is "not found"; one already ended is 409 (invalid status).
 */
export class CancelStandingOrder {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: CancelStandingOrderCommand): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [order]: Array<{ status: string; consent_id: string; client_id: string }> = await manager.query(
        `SELECT status, consent_id, client_id FROM domestic_standing_order WHERE standing_order_id = $1 AND psu_id = $2 FOR UPDATE`,
        [command.standingOrderId, command.psuId],
      );
      if (!order) throw new ConsentException(ConsentExceptionCode.NotFound, 'standing order not found');
      if (order.status !== 'PDNG') throw new ConsentException(ConsentExceptionCode.InvalidStatus, `the standing order is ${order.status}, it cannot be cancelled`);
      await manager.query(
        `UPDATE domestic_standing_order SET status = 'CANC', next_run_at = NULL, status_update_date_time = now() WHERE standing_order_id = $1`,
        [command.standingOrderId],
      );
      await recordAuditEvent(manager, {
        type: 'payment.status-changed',
        actor: { type: 'psu', id: command.psuId },
        clientId: order.client_id,
        psuId: command.psuId,
        consentId: order.consent_id,
        interactionId: command.interactionId,
        data: { paymentId: command.standingOrderId, kind: 'domestic-standing-order', from: 'PDNG', to: 'CANC' },
      });
    });
  }
}
