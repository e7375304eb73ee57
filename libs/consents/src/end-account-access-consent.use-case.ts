import { recordAuditEvent } from '@consentry/audit';
import { AccountAccessConsentEntity, ConsentStatus, DataSource, EntityManager, PaymentConsentKind } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertTransition, canPaymentConsentTransition } from './consent-status.js';
import { lockConsentOfClient } from './authorise-account-access-consent.use-case.js';

export type ConsentEndedBy =
  | { type: 'psu'; psuId: string }
  | { type: 'tpp'; clientId: string }
  | { type: 'system'; id: string };

export interface EndAccountAccessConsentCommand {
  consentId: string;
  by: ConsentEndedBy;
  interactionId?: string;
}

/** Why the authorization server revoked a consent's grant (RFC 7009 revocation, or a replayed code). */
export type GrantRevocationTrigger = 'refresh_token_revoked' | 'access_token_revoked' | 'authorization_code_replayed' | 'refresh_token_replayed';

const GRANT_REVOCATION_REASONS: Record<GrantRevocationTrigger, string> = {
  refresh_token_revoked: 'Refresh token revoked by the TPP',
  access_token_revoked: 'Access token revoked by the TPP',
  authorization_code_replayed: 'Authorisation code replayed',
  refresh_token_replayed: 'Refresh token replayed',
};

/** Revokes every token and the grant behind a consent (oidc-provider storage shares the database). */
export async function revokeConsentGrant(manager: EntityManager, grantId: string | null): Promise<number> {
  if (!grantId) return 0;
  const result: [unknown, number] = await manager.query(`DELETE FROM oidc_model WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [grantId]);
  return result[1] ?? 0;
}

async function endConsent(
  dataSource: DataSource,
  command: EndAccountAccessConsentCommand,
  to: ConsentStatus,
  reason: string,
  eventType: 'consent.revoked' | 'consent.rejected',
  options: { grantRevoked?: GrantRevocationTrigger } = {},
): Promise<AccountAccessConsentEntity> {
  return dataSource.transaction(async (manager) => {
    const clientId = command.by.type === 'tpp' ? command.by.clientId : undefined;
    const consent = await lockConsentOfClient(manager, command.consentId, clientId);
    if (command.by.type === 'psu' && consent.psuId !== null && consent.psuId !== command.by.psuId) {
      throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
    }
    assertTransition(consent.status, to);
    const now = new Date();
    // A consent past its ExpirationDateTime has ended on its own, whether or not the sweep has made it EXPD:
    // the PSU is told so rather than shown a revocation (until 7 December 2026 it became CANC "Revoked by
    // the PSU", audited as such).
    if (command.by.type === 'psu' && to === 'CANC' && consent.expirationDateTime && consent.expirationDateTime <= now) {
      throw new ConsentException(ConsentExceptionCode.InvalidStatus, 'the consent has expired');
    }
    await manager.update(
      AccountAccessConsentEntity,
      { consentId: consent.consentId },
      {
        status: to,
        statusReasonDescription: reason,
        statusUpdateDateTime: now,
        ...(command.by.type === 'psu' && consent.psuId === null ? { psuId: command.by.psuId } : {}),
        // The grant is gone: no token of it may pass the API's grant check any more.
        ...(options.grantRevoked ? { grantId: null } : {}),
      },
    );
    const revokedGrantRecords = await revokeConsentGrant(manager, consent.grantId);
    const actor = command.by.type === 'psu' ? { type: 'psu' as const, id: command.by.psuId } : command.by.type === 'tpp' ? { type: 'tpp' as const, id: command.by.clientId } : { type: 'system' as const, id: command.by.id };
    await recordAuditEvent(manager, {
      type: eventType,
      actor,
      clientId: consent.clientId,
      psuId: consent.psuId ?? (command.by.type === 'psu' ? command.by.psuId : undefined),
      consentId: consent.consentId,
      interactionId: command.interactionId,
      data: { from: consent.status, to, reason, revokedGrantRecords, ...(options.grantRevoked ? { trigger: options.grantRevoked } : {}) },
    });
    return Object.assign(consent, { status: to, statusReasonDescription: reason, statusUpdateDateTime: now });
  });
}

/**
 * Ends a live consent: the PSU revokes it (dashboard) or the TPP deletes it. Its grant and every token
 * are revoked in the same transaction, and the API re-checks the status on every call.
 */
export class RevokeAccountAccessConsent {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: EndAccountAccessConsentCommand): Promise<AccountAccessConsentEntity> {
    const reason = command.by.type === 'psu' ? 'Revoked by the PSU' : command.by.type === 'tpp' ? 'Deleted by the TPP' : 'Revoked by the ASPSP';
    return endConsent(this.dataSource, command, 'CANC', reason, 'consent.revoked');
  }
}

/**
 * The authorization server revoked the grant behind an authorised consent: the TPP revoked its refresh
 * token (RFC 7009), or a code or refresh token was replayed (RFC 6749 4.1.2). Tokens are not enough to
 * keep: the consent ends (CANC) with the reason, `consent.revoked` is recorded, and the consent no
 * longer names a grant. A consent that is not AUTH (already ended) is left as it is.
 */
export class EndConsentOfRevokedGrant {
  constructor(private readonly dataSource: DataSource) {}

  async execute(command: { grantId: string; trigger: GrantRevocationTrigger; clientId?: string; interactionId?: string }): Promise<string | null> {
    const rows: Array<{ consent_id: string }> = await this.dataSource.query(
      `SELECT consent_id FROM account_access_consent WHERE grant_id = $1 AND status = 'AUTH'`,
      [command.grantId],
    );
    const consentId = rows[0]?.consent_id;
    const by: Exclude<ConsentEndedBy, { type: 'psu' }> = command.clientId ? { type: 'tpp', clientId: command.clientId } : { type: 'system', id: 'auth-server' };
    if (!consentId) return this.endPaymentConsent(command.grantId, command.trigger, by, command.interactionId);
    try {
      await endConsent(this.dataSource, { consentId, by, interactionId: command.interactionId }, 'CANC', GRANT_REVOCATION_REASONS[command.trigger], 'consent.revoked', {
        grantRevoked: command.trigger,
      });
    } catch (error) {
      // Ended meanwhile by someone else (a concurrent revocation): nothing left to do.
      if (error instanceof ConsentException) return null;
      throw error;
    }
    return consentId;
  }

  /**
   * A payment consent behind the grant: a VRP or funds-confirmation consent ends as an account-access one
   * does (AUTH -> CANC with the reason, `consent.revoked`); a domestic, scheduled or standing-order
   * consent, which has no CANC, only loses its grant, so the API refuses every token of it and it cannot
   * be paid without a new approval.
   */
  private endPaymentConsent(grantId: string, trigger: GrantRevocationTrigger, by: Exclude<ConsentEndedBy, { type: 'psu' }>, interactionId?: string): Promise<string | null> {
    return this.dataSource.transaction(async (manager) => {
      const [consent]: Array<{ consent_id: string; kind: PaymentConsentKind; client_id: string; psu_id: string | null }> = await manager.query(
        `SELECT consent_id, kind, client_id, psu_id FROM payment_consent WHERE grant_id = $1 AND status = 'AUTH' FOR UPDATE`,
        [grantId],
      );
      if (!consent) return null;
      if (!canPaymentConsentTransition(consent.kind, 'AUTH', 'CANC')) {
        await manager.query(`UPDATE payment_consent SET grant_id = NULL WHERE consent_id = $1`, [consent.consent_id]);
        return consent.consent_id;
      }
      const reason = GRANT_REVOCATION_REASONS[trigger];
      await manager.query(
        `UPDATE payment_consent SET status = 'CANC', status_reason_description = $2, status_update_date_time = now(), grant_id = NULL WHERE consent_id = $1`,
        [consent.consent_id, reason],
      );
      await recordAuditEvent(manager, {
        type: 'consent.revoked',
        actor: by.type === 'tpp' ? { type: 'tpp', id: by.clientId } : { type: 'system', id: by.id },
        clientId: consent.client_id,
        psuId: consent.psu_id ?? undefined,
        consentId: consent.consent_id,
        interactionId,
        data: { kind: consent.kind, from: 'AUTH', to: 'CANC', reason, grantRevoked: trigger },
      });
      return consent.consent_id;
    });
  }
}

/** The PSU denied the consent at the authorization server (or the journey failed before approval). */
export class RejectAccountAccessConsent {
  constructor(private readonly dataSource: DataSource) {}

  execute(command: EndAccountAccessConsentCommand & { reason?: string }): Promise<AccountAccessConsentEntity> {
    return endConsent(this.dataSource, command, 'RJCT', command.reason ?? 'Rejected by the PSU', 'consent.rejected');
  }
}
