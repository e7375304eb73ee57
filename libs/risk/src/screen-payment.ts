import { type AuditEventInput, recordAuditEvent } from '@consentry/audit';
import type { EntityManager } from '@consentry/database';

import { HELD_STATUS_DESCRIPTION, PaymentRiskEngine, PaymentRiskInput, RISK_REJECTED_DESCRIPTION, RISK_REJECTED_REASON, RiskAssessment } from './payment-risk-engine.js';

/** The table of a scored payment: domestic (immediate, scheduled, standing-order runs are ledger-only) or VRP. */
export type PaymentTable = 'domestic_payment' | 'vrp_payment';

/** The status a decision leaves a PDNG payment in: unchanged (allow), PDNG with a neutral reason (hold), or RJCT FR01. */
export interface ScreenedStatus {
  status: 'PDNG' | 'RJCT';
  statusReason: string | null;
  statusReasonDescription: string | null;
  statusUpdateDateTime: Date;
}

/** Whether a staged payment may go to the bank now: PDNG and not held for review. */
export function isExecutable(payment: { status: string; statusReasonDescription: string | null }): boolean {
  return payment.status === 'PDNG' && payment.statusReasonDescription !== HELD_STATUS_DESCRIPTION;
}

/** The status a decision gives a PDNG payment at `at`: null when allowed (it stays PDNG, as it was). */
function screenedStatus(assessment: RiskAssessment, at: Date): ScreenedStatus | null {
  switch (assessment.decision) {
    case 'allow':
      return null;
    case 'hold':
      return { status: 'PDNG', statusReason: null, statusReasonDescription: HELD_STATUS_DESCRIPTION, statusUpdateDateTime: at };
    case 'reject':
      return { status: 'RJCT', statusReason: RISK_REJECTED_REASON, statusReasonDescription: RISK_REJECTED_DESCRIPTION, statusUpdateDateTime: at };
  }
}

/** The event of a payment the risk engine rejected: PDNG to RJCT, by the engine. */
function riskRejectionEvent(input: PaymentRiskInput): AuditEventInput {
  return {
    type: 'payment.status-changed',
    actor: { type: 'system', id: 'risk-engine' },
    clientId: input.clientId,
    consentId: input.consentId,
    ...(input.psuId ? { psuId: input.psuId } : {}),
    interactionId: input.interactionId,
    data: { paymentId: input.paymentId, kind: input.paymentKind, from: 'PDNG', to: 'RJCT', statusReason: RISK_REJECTED_REASON },
  };
}

/** A new payment as its decision leaves it: the status it is written with, and the events after the engine's. */
export interface ScreenedNewPayment {
  status: 'PDNG' | 'RJCT';
  statusReason: string | null;
  statusReasonDescription: string | null;
  /** A rejection's `payment.status-changed` (PDNG to RJCT); none otherwise. */
  eventsAfter: AuditEventInput[];
}

/**
 * For a payment scored before it is written (PaymentRiskEngine.assessWithin): the status it is written
 * with (PDNG when allowed; PDNG with a reason that names no rule when held; RJCT FR01 when rejected) and
 * the events that follow the decision's.
 */
export function screenNewPayment(assessment: RiskAssessment, input: PaymentRiskInput): ScreenedNewPayment {
  const screened = screenedStatus(assessment, new Date());
  return {
    status: screened?.status ?? 'PDNG',
    statusReason: screened?.statusReason ?? null,
    statusReasonDescription: screened?.statusReasonDescription ?? null,
    eventsAfter: screened?.status === 'RJCT' ? [riskRejectionEvent(input)] : [],
  };
}

/**
 * Scores a just-written PDNG payment in its own transaction and applies the decision to its row: a hold
 * keeps it PDNG with a reason that names no rule (no tipping-off), a reject makes it RJCT FR01 with its
 * payment.status-changed event. Null when allowed: the caller executes it as before.
 */
export async function screenPayment(
  manager: EntityManager,
  engine: PaymentRiskEngine,
  table: PaymentTable,
  input: PaymentRiskInput,
): Promise<{ assessment: RiskAssessment; changes: ScreenedStatus | null }> {
  const assessment = await engine.assess(manager, input);
  const changes = screenedStatus(assessment, new Date());
  if (!changes) return { assessment, changes: null };
  await manager.query(
    `UPDATE ${table} SET status = $2, status_reason = $3, status_reason_description = $4, status_update_date_time = $5 WHERE payment_id = $1`,
    [input.paymentId, changes.status, changes.statusReason, changes.statusReasonDescription, changes.statusUpdateDateTime],
  );
  if (changes.status === 'RJCT') await recordAuditEvent(manager, riskRejectionEvent(input));
  return { assessment, changes };
}
