import { type AuditEventInput, recordAuditEvent } from '@consentry/audit';
import { DataSource, EntityManager, JsonObject, PaymentConsentEntity, PaymentConsentKind, queryPreparedIn, type WritePart } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { canPaymentConsentTransition } from './consent-status.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { approvalOf, type PaymentApprovalSeal } from './payment-approval-seal.js';
import { sameInitiation, sameRisk } from './payment-initiation.js';

export interface ConsumePaymentConsentCommand {
  consentId: string;
  clientId: string;
  kind: PaymentConsentKind;
  /** The payment order's Initiation, as the TPP sent it. */
  initiation: JsonObject;
  /** The payment order's Risk, as the TPP sent it: it must be the consent's (UK OB, U008 `Risk`). */
  risk: JsonObject;
  interactionId?: string;
}

/** U008 (`path`) unless the consent row is still exactly what the PSU approved: PSD2 RTS Art. 5, its approval's seal holds. */
export function assertStillAsApproved(consent: PaymentConsentEntity, approvals: PaymentApprovalSeal, path = 'Data.ConsentId'): void {
  if (!approvals.holds(consent.initiationHash, approvalOf(consent))) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The consent no longer matches what the PSU approved', path);
  }
}

/**
 * U008, for every kind of payment consent: the consent row must still be exactly what the PSU approved
 * (a row whose approval seal no longer holds is refused, `Data.ConsentId`), and the order's Initiation
 * the consent's (`Data.Initiation`).
 */
export function assertConsentAsApproved(consent: PaymentConsentEntity, orderedInitiation: JsonObject, approvals: PaymentApprovalSeal): void {
  assertStillAsApproved(consent, approvals);
  if (!sameInitiation(consent.initiation, orderedInitiation)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The Initiation differs from the consent’s', 'Data.Initiation');
  }
}

/**
 * Runs `use` with an authorised consent as its PSU approved it, for a call that uses its debtor account
 * without paying (a funds check), and answers what `use` answers. The row is read from the primary, of
 * the TPP's own and of `consent.kind` (else "not found"), and share-locked until `use` has answered: a
 * revocation or deletion (which locks the row to update it) waits for the answer, so no answer is given
 * under a consent already revoked (until 7 December 2026 a check in flight was answered after the PSU's
 * revocation had returned). On the locked row, `refuse` gives the caller's refusal of a consent no longer
 * usable (its status, its end), then U008 (`path`) when the approval's seal no longer holds, so a debtor
 * account altered since the approval is never asked about.
 */
export async function withApprovedPaymentConsent<T>(
  dataSource: DataSource,
  approvals: PaymentApprovalSeal,
  consent: { consentId: string; clientId: string; kind: PaymentConsentKind },
  refuse: (stored: PaymentConsentEntity) => Error | null,
  use: (approved: PaymentConsentEntity, manager: EntityManager) => Promise<T>,
  path?: string,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    const stored = await manager.getRepository(PaymentConsentEntity).findOne({
      where: { consentId: consent.consentId, clientId: consent.clientId, kind: consent.kind },
      lock: { mode: 'pessimistic_read' },
    });
    if (!stored) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
    const refusal = refuse(stored);
    if (refusal) throw refusal;
    assertStillAsApproved(stored, approvals, path);
    return use(stored, manager);
  });
}

/**
 * A payment order uses its consent, inside the caller's transaction (which writes the order): the
 * consent row stays locked until it commits, so two orders on one consent are serialised and the
 * second finds it consumed. Checked in the fixed order: status (U009), then that the consent is still
 * what the PSU approved and the order is what the consent says: its Initiation, then its Risk (U008).
 * AUTH -> COND.
 *
 * In two steps for a caller that makes the consumption's write with its own (the API's domestic
 * payment makes it with the order and its risk decision): lockPaymentConsentToConsume, then
 * consumptionWrite.
 */
export async function consumePaymentConsent(
  manager: EntityManager,
  approvals: PaymentApprovalSeal,
  command: ConsumePaymentConsentCommand,
): Promise<PaymentConsentEntity> {
  const consent = await lockPaymentConsentToConsume(manager, approvals, command);
  const consumption = consumptionWrite(consent, command, new Date());
  await queryPreparedIn(manager, consumption.write.sql, consumption.write.values);
  await recordAuditEvent(manager, consumption.event);
  return consumption.consent;
}

/**
 * Step 1: locks the consent row until the caller's transaction ends and checks U009 and U008 on it:
 * the seal (`Data.ConsentId`), the Initiation (`Data.Initiation`), then the Risk (`Risk`; UK OB: an
 * element of the order's Initiation or Risk that does not match the consent's is U008). `alsoLock` (an
 * SQL lock expression on the debtor account's id) is taken in the same round trip.
 */
export async function lockPaymentConsentToConsume(
  manager: EntityManager,
  approvals: PaymentApprovalSeal,
  command: ConsumePaymentConsentCommand,
  alsoLock?: (debtorAccountId: string) => string,
): Promise<PaymentConsentEntity> {
  const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.clientId, alsoLock);
  if (consent.kind !== command.kind) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  if (!canPaymentConsentTransition(consent.kind, consent.status, 'COND')) {
    throw new ConsentException(
      ConsentExceptionCode.InvalidStatus,
      consent.status === 'COND' ? 'The consent has already been used for a payment' : `The consent is ${consent.status}, not authorised`,
    );
  }
  assertConsentAsApproved(consent, command.initiation, approvals);
  if (!sameRisk(consent.risk, command.risk)) {
    throw new ConsentException(ConsentExceptionCode.ConsentMismatch, 'The Risk differs from the consent’s', 'Risk');
  }
  return consent;
}

const CONSUME = `UPDATE payment_consent SET status = 'COND', status_update_date_time = $2 WHERE consent_id = $1`;

/** Step 2: the locked consent's AUTH -> COND, as a write to make with the caller's, its `consent.consumed` event, and the consent as it becomes. */
export function consumptionWrite(
  consent: PaymentConsentEntity,
  command: Pick<ConsumePaymentConsentCommand, 'clientId' | 'interactionId'>,
  at: Date,
): { write: WritePart; event: AuditEventInput; consent: PaymentConsentEntity } {
  return {
    write: { sql: CONSUME, values: [consent.consentId, at] },
    event: {
      type: 'consent.consumed',
      actor: { type: 'tpp', id: command.clientId },
      clientId: consent.clientId,
      psuId: consent.psuId ?? undefined,
      consentId: consent.consentId,
      interactionId: command.interactionId,
      data: { kind: consent.kind, from: 'AUTH', to: 'COND' },
    },
    consent: Object.assign(consent, { status: 'COND' as const, statusUpdateDateTime: at }),
  };
}
