import { randomUUID } from 'node:crypto';

import { recordAuditEvent } from '@consentry/audit';
import { consumePaymentConsent, largestRunAmount, type PaymentApprovalSeal, readStandingOrderSchedule, standingOrderRun } from '@consentry/consents';
import { EntityManager, JsonObject } from '@consentry/database';

export interface SubmitDomesticStandingOrderCommand {
  clientId: string;
  consentId: string;
  /** The order's Initiation as the TPP sent it (validated). */
  initiation: JsonObject;
  /** The order's Risk as the TPP sent it (validated): it must be the consent's (U008, `Risk`). */
  risk: JsonObject;
  interactionId?: string;
}

/** A stored standing order, as the API answers with it. */
export interface DomesticStandingOrderRow {
  standingOrderId: string;
  consentId: string;
  clientId: string;
  status: string;
  initiation: JsonObject;
  nextRunIndex: number;
  creationDateTime: Date;
  statusUpdateDateTime: Date;
}

/**
 * A PSU-authorised standing order (PSD2 Art. 66), in the idempotency key's transaction: consume the
 * consent (locked: U009 for a second order, U008 for an Initiation or Risk unlike the consent's or a
 * consent changed since approval), store the order PDNG with its first run due at FirstPaymentDateTime,
 * and audit payment.submitted.
 * Nothing is debited here: the worker's standing-orders job pays each run when it falls due.
 */
export async function submitDomesticStandingOrder(
  manager: EntityManager,
  approvals: PaymentApprovalSeal,
  command: SubmitDomesticStandingOrderCommand,
): Promise<DomesticStandingOrderRow> {
  const consent = await consumePaymentConsent(manager, approvals, { ...command, kind: 'domestic-standing-order' });
  const read = readStandingOrderSchedule(consent.initiation);
  // The consent's Initiation was checked when it was created, and the order's equals it.
  if (!('schedule' in read)) throw new Error('a stored standing order consent has an unrunnable schedule');
  const first = standingOrderRun(read.schedule, 0)!;
  const now = new Date();
  const row: DomesticStandingOrderRow = {
    standingOrderId: `dso-${randomUUID()}`,
    consentId: consent.consentId,
    clientId: command.clientId,
    status: 'PDNG',
    initiation: command.initiation,
    nextRunIndex: 0,
    creationDateTime: now,
    statusUpdateDateTime: now,
  };
  await manager.query(
    `INSERT INTO domestic_standing_order (standing_order_id, consent_id, client_id, psu_id, status, initiation, debtor_account_id, next_run_index, next_run_at, creation_date_time, status_update_date_time)
     VALUES ($1, $2, $3, $4, 'PDNG', $5::jsonb, $6, 0, $7, $8, $8)`,
    [row.standingOrderId, row.consentId, row.clientId, consent.psuId, JSON.stringify(row.initiation), consent.debtorAccountId, first.dueAt, now],
  );
  await recordAuditEvent(manager, {
    type: 'payment.submitted',
    actor: { type: 'tpp', id: command.clientId },
    clientId: command.clientId,
    psuId: consent.psuId ?? undefined,
    consentId: consent.consentId,
    interactionId: command.interactionId,
    data: {
      paymentId: row.standingOrderId,
      kind: 'domestic-standing-order',
      status: 'PDNG',
      amount: read.schedule.first.amount,
      // The most one run will pay (the PSU's threshold alert compares it: a token first payment, then large ones).
      largestAmount: largestRunAmount(read.schedule),
      currency: read.schedule.first.currency,
      frequency: read.schedule.frequency,
    },
  });
  return row;
}
