import { recordAuditEvent } from '@consentry/audit';
import { AccountAccessConsentEntity, DataSource } from '@consentry/database';

import { lockActiveTpp, lockConsentOfClient } from './authorise-account-access-consent.use-case.js';
import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { revokeConsentGrant } from './end-account-access-consent.use-case.js';

export interface ReauthenticateAccountAccessConsentCommand {
  consentId: string;
  /** The TPP the authorization request came from: it must own the consent. */
  clientId: string;
  /** The PSU who just passed SCA: it must be the PSU who authorised the consent. */
  psuId: string;
  /** The new oidc-provider grant that carries the consent's tokens from now on. */
  grantId: string;
  /**
   * Whether a grant was saved by this same journey (the page's form sent twice at once): a consent its
   * own journey re-confirmed already is not re-confirmed again, which would revoke the grant whose code
   * the TPP is about to get.
   */
  isSameJourneyGrant?: (grantId: string) => boolean;
  interactionId?: string;
}

/**
 * The PSU re-confirmed an authorised consent after strong customer authentication (PSD2 RTS Art. 10a,
 * FCA SCA-RTS Art. 10A): the period starts again from now. Nothing else about the consent changes: the
 * status stays AUTH and the bound accounts stay exactly as they were. The new grant replaces the old
 * one, whose tokens are revoked in the same transaction (one live grant per consent).
 */
export class ReauthenticateAccountAccessConsent {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: ReauthenticateAccountAccessConsentCommand): Promise<AccountAccessConsentEntity> {
    if (!command.consentId || !command.clientId || !command.psuId || !command.grantId) {
      throw new TypeError('consentId, clientId, psuId and grantId are required');
    }
    return this.dataSource.transaction(async (manager) => {
      await lockActiveTpp(manager, command.clientId);
      const consent = await lockConsentOfClient(manager, command.consentId, command.clientId);
      // Another PSU's consent is "not found", as for revocation: never say whose it is.
      if (consent.psuId !== command.psuId) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
      if (consent.status !== 'AUTH') {
        throw new ConsentException(ConsentExceptionCode.InvalidStatus, `a consent in status ${consent.status} cannot be re-authenticated`);
      }
      const now = new Date();
      if (consent.expirationDateTime && consent.expirationDateTime <= now) {
        throw new ConsentException(ConsentExceptionCode.Expired, 'the consent has expired');
      }
      const previousGrantId = consent.grantId;
      if (previousGrantId && command.isSameJourneyGrant?.(previousGrantId)) {
        throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'the consent was re-authenticated by this journey already');
      }
      const since = consent.reauthenticatedAt ?? consent.authorisedAt;
      await manager.update(AccountAccessConsentEntity, { consentId: consent.consentId }, { reauthenticatedAt: now, grantId: command.grantId });
      const revokedGrantRecords = previousGrantId && previousGrantId !== command.grantId ? await revokeConsentGrant(manager, previousGrantId) : 0;
      const bound: Array<{ account_id: string }> = await manager.query(
        `SELECT account_id FROM consent_account WHERE consent_id = $1 ORDER BY account_id`,
        [consent.consentId],
      );
      await recordAuditEvent(manager, {
        type: 'consent.reauthenticated',
        actor: { type: 'psu', id: command.psuId },
        clientId: consent.clientId,
        psuId: command.psuId,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: {
          jurisdiction: consent.jurisdiction,
          previousAuthenticationAt: since?.toISOString() ?? null,
          accountIds: bound.map((row) => row.account_id),
          revokedGrantRecords,
        },
      });
      return Object.assign(consent, { reauthenticatedAt: now, grantId: command.grantId });
    });
  }
}
