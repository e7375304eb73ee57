import { recordAuditEvent } from '@consentry/audit';
import { DataSource, PaymentConsentEntity, uuidOrNull } from '@consentry/database';

import { lockActiveTpp } from './authorise-account-access-consent.use-case.js';
import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertPaymentConsentTransition, awaitedTooLong } from './consent-status.js';
import { lockPaymentConsentOfClient } from './payment-consent-queries.js';
import { type PaymentApprovalSeal } from './payment-approval-seal.js';
import { approvalTermsOf, approvedTerms } from './payment-initiation.js';

export interface AuthorisePaymentConsentCommand {
  consentId: string;
  /** The TPP the authorization request came from: it must own the consent. */
  clientId: string;
  psuId: string;
  /** The account to debit: the one the TPP named, or the PSU's pick. */
  debtorAccountId: string;
  /** The oidc-provider grant that will carry the consent's token. */
  grantId: string;
  interactionId?: string;
}

// Card numbers are stored encrypted and cards do not make credit transfers: never a debtor account.
const PAN_SCHEME = 'UK.OBIE.PAN';

/**
 * The PSU approved the payment (or the funds-confirmation consent) after strong customer authentication.
 * The debtor account must be the PSU's, enabled, in the payment's currency, and the one the TPP named if
 * it named one (a funds-confirmation consent always names it). The approval
 * records the seal of exactly what was shown (PSD2 RTS Art. 5, PaymentApprovalSeal, a keyed MAC): the
 * payment is checked against it.
 */
export class AuthorisePaymentConsent {
  constructor(
    private readonly dataSource: DataSource,
    private readonly approvals: PaymentApprovalSeal,
    /** CONSENT_AWAITING_MAX_AGE_SECONDS: a consent that waited longer is not authorised (awaitedTooLong). */
    private readonly awaitingMaxAgeSeconds: number,
  ) {}

  async execute(command: AuthorisePaymentConsentCommand): Promise<PaymentConsentEntity> {
    return this.dataSource.transaction(async (manager) => {
      await lockActiveTpp(manager, command.clientId);
      const consent = await lockPaymentConsentOfClient(manager, command.consentId, command.clientId);
      assertPaymentConsentTransition(consent.kind, consent.status, 'AUTH');
      const now = new Date();
      // A VRP's ValidToDateTime or a funds confirmation's ExpirationDateTime passed while the PSU approved:
      // ended, not authorised (until 7 December 2026 it became AUTH, with a grant, until the sweep).
      if (consent.expirationDateTime && consent.expirationDateTime <= now) {
        throw new ConsentException(ConsentExceptionCode.Expired, 'the consent has expired');
      }
      // Nobody approved it in time: ended, whether or not the sweep has reached it (until 7 December 2026
      // it was approved, with a grant, in the minute before the sweep).
      if (awaitedTooLong(consent, now, this.awaitingMaxAgeSeconds)) {
        throw new ConsentException(ConsentExceptionCode.Expired, 'the consent was not authorised in time');
      }
      const terms = approvalTermsOf(consent.kind, consent.initiation, consent.controlParameters);
      const [account]: Array<{ scheme_name: string; identification: string; currency: string }> = await manager.query(
        `SELECT scheme_name, identification, currency FROM account WHERE account_id = $1 AND psu_id = ${uuidOrNull('$2::text')} AND status = 'Enabled'`,
        [command.debtorAccountId, command.psuId],
      );
      if (!account) throw new ConsentException(ConsentExceptionCode.AccountNotOwned, 'the debtor account is not the PSU’s');
      if (account.scheme_name === PAN_SCHEME || (terms.money !== null && account.currency.trim() !== terms.money.currency)) {
        throw new ConsentException(ConsentExceptionCode.DebtorAccountUnfit, 'the account cannot make this payment');
      }
      const named = terms.debtorAccount;
      if (named && (named.schemeName !== account.scheme_name || named.identification !== account.identification)) {
        throw new ConsentException(ConsentExceptionCode.DebtorAccountUnfit, 'the TPP named another debtor account');
      }
      const initiationHash = this.approvals.seal({
        consentId: consent.consentId,
        clientId: consent.clientId,
        psuId: command.psuId,
        debtorAccountId: command.debtorAccountId,
        terms: approvedTerms(consent),
      });
      const changes = {
        status: 'AUTH' as const,
        psuId: command.psuId,
        debtorAccountId: command.debtorAccountId,
        initiationHash,
        grantId: command.grantId,
        authorisedAt: now,
        statusUpdateDateTime: now,
      };
      await manager.update(PaymentConsentEntity, { consentId: consent.consentId }, changes);
      await recordAuditEvent(manager, {
        type: 'consent.authorised',
        actor: { type: 'psu', id: command.psuId },
        clientId: consent.clientId,
        psuId: command.psuId,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: { kind: consent.kind, debtorAccountId: command.debtorAccountId, ...(terms.money ?? {}) },
      });
      return Object.assign(consent, changes);
    });
  }
}
