import { entitySelectList, EntityManager, PaymentConsentEntity } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { approvalOf, type PaymentApprovalSeal } from './payment-approval-seal.js';
import { sameCreditorAccount, sameInitiation } from './payment-initiation.js';

/** An order the bank is about to pay, with its own copies of what its consent's PSU approved. */
export interface OrderToPay {
  consentId: string;
  /** The account the order debits. */
  debtorAccountId: string;
  /** The order's Initiation (a domestic, scheduled or standing order's; a VRP's Data.Initiation). */
  initiation: Record<string, unknown>;
  /** A VRP's Instruction.CreditorAccount as stored, which must be the one the consent's Initiation names, whole. */
  instructedCreditorAccount?: unknown;
}

/** The ISO 20022 status reason of an order paid later that no longer matches its approval: RJCT, never debited. */
export const NOT_AS_APPROVED_REASON = 'AG01';
export const NOT_AS_APPROVED_DESCRIPTION = 'The order no longer matches what the PSU approved';

/**
 * PSD2 RTS Art. 5 (dynamic linking) when the bank pays after the POST: the worker on a scheduled date or
 * a standing order's run, an admin's release of a held payment. The order is paid only while its
 * consent's approval seal still holds and the order's own copies (Initiation, debtor account, a VRP's
 * creditor) are what that consent says. The POST checked the same (U008), but these copies are read
 * from the order's row when it runs, so a row altered since then must not be paid. A seal under a key this
 * process lacks is a ConsentException (InvalidStatus): the caller's order waits (a worker's run defers it,
 * an admin's release is refused 409 and the payment stays held).
 */
export async function isOrderAsApproved(manager: EntityManager, approvals: PaymentApprovalSeal, order: OrderToPay): Promise<boolean> {
  const [row]: PaymentConsentEntity[] = await manager.query(`SELECT ${entitySelectList(manager.connection, PaymentConsentEntity)} FROM payment_consent WHERE consent_id = $1`, [
    order.consentId,
  ]);
  if (!row) return false;
  const consent = Object.assign(new PaymentConsentEntity(), row);
  // Not a changed order but a keyring short of a key: the order waits, neither paid nor rejected (until
  // 7 December 2026 a worker not yet given a rotated SECRETS_KEYS rejected such orders AG01 for good).
  const missingKey = approvals.missingKeyOf(consent.initiationHash);
  if (missingKey !== null) {
    throw new ConsentException(
      ConsentExceptionCode.InvalidStatus,
      `The PSU's approval is sealed under key ${missingKey}, which this process's SECRETS_KEYS lacks: the order waits, neither paid nor rejected`,
    );
  }
  if (!approvals.holds(consent.initiationHash, approvalOf(consent))) return false;
  if (consent.debtorAccountId !== order.debtorAccountId) return false;
  if (!sameInitiation(consent.initiation, order.initiation)) return false;
  // The same rule as the VRP's POST (lockVrpConsent): the payee the PSU approved, every member of it.
  const named = consent.initiation.CreditorAccount;
  if (order.instructedCreditorAccount !== undefined && named !== undefined && named !== null && !sameCreditorAccount(named, order.instructedCreditorAccount)) return false;
  return true;
}
