import { recordAuditEvent } from '@consentry/audit';
import { AccountAccessConsentEntity, ConsentAccountEntity, DataSource, EntityManager, uuidOrNull } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';
import { assertTransition, awaitedTooLong } from './consent-status.js';

export interface AuthoriseAccountAccessConsentCommand {
  consentId: string;
  /** The TPP the authorization request came from: it must own the consent. */
  clientId: string;
  psuId: string;
  accountIds: string[];
  /** The oidc-provider grant that will carry the consent's tokens. */
  grantId: string;
  interactionId?: string;
}

/**
 * The accounts PSU `psuParam` may share through an account-access consent, as a condition on the account
 * row `alias`: their own, and enabled (not deleted, disabled or pending). The consent page lists exactly
 * these and authorisation accepts no other.
 */
export function shareableAccountCondition(alias: string, psuParam: string): string {
  return `(${alias}.psu_id = ${uuidOrNull(`${psuParam}::text`)} AND ${alias}.status = 'Enabled')`;
}

/** Locks a consent row the caller may act on; another TPP's consent is reported as not found. */
export async function lockConsentOfClient(
  manager: EntityManager,
  consentId: string,
  clientId: string | undefined,
): Promise<AccountAccessConsentEntity> {
  const consent = await manager.findOne(AccountAccessConsentEntity, {
    where: { consentId },
    lock: { mode: 'pessimistic_write' },
  });
  if (!consent || (clientId !== undefined && consent.clientId !== clientId)) {
    throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  }
  return consent;
}

/**
 * Holds the TPP's row for the rest of the approval's transaction (FOR SHARE) and refuses a TPP that is not
 * Active: a PSU who approves on a page opened before the bank suspended the TPP, or before it
 * deregistered, authorises nothing (until 7 December 2026 the consent became AUTH, its grant saved, for a
 * TPP that could never use it). A suspension or deregistration meanwhile waits for the approval under way
 * and then applies to it as to the TPP's other consents. Taken before the consent's own lock.
 */
export async function lockActiveTpp(manager: EntityManager, clientId: string): Promise<void> {
  const rows: Array<{ status: string }> = await manager.query(`SELECT status FROM tpp WHERE client_id = $1 FOR SHARE`, [clientId]);
  if (rows[0]?.status !== 'Active') throw new ConsentException(ConsentExceptionCode.TppNotActive, 'the TPP is suspended or deregistered');
}

/**
 * The PSU approved the consent after strong customer authentication: bind the accounts they picked
 * (only ones the consent page offered them: shareableAccountCondition) and the grant. A consent is
 * authorised once; a second attempt finds it AUTH and fails.
 */
export class AuthoriseAccountAccessConsent {
  constructor(
    private readonly dataSource: DataSource,
    /** CONSENT_AWAITING_MAX_AGE_SECONDS: a consent that waited longer is not authorised (awaitedTooLong). */
    private readonly awaitingMaxAgeSeconds: number,
  ) {}

  async execute(command: AuthoriseAccountAccessConsentCommand): Promise<AccountAccessConsentEntity> {
    const accountIds = [...new Set(command.accountIds)];
    if (accountIds.length === 0) {
      throw new ConsentException(ConsentExceptionCode.NoAccountSelected, 'select at least one account');
    }
    return this.dataSource.transaction(async (manager) => {
      await lockActiveTpp(manager, command.clientId);
      const consent = await lockConsentOfClient(manager, command.consentId, command.clientId);
      assertTransition(consent.status, 'AUTH');
      const now = new Date();
      if (consent.expirationDateTime && consent.expirationDateTime <= now) {
        throw new ConsentException(ConsentExceptionCode.Expired, 'the consent has expired');
      }
      if (awaitedTooLong(consent, now, this.awaitingMaxAgeSeconds)) {
        throw new ConsentException(ConsentExceptionCode.Expired, 'the consent was not authorised in time');
      }
      const owned: { n: number }[] = await manager.query(
        `SELECT count(*)::int AS n FROM account a WHERE ${shareableAccountCondition('a', '$1')} AND a.account_id = ANY($2::text[])`,
        [command.psuId, accountIds],
      );
      if (owned[0]!.n !== accountIds.length) {
        throw new ConsentException(ConsentExceptionCode.AccountNotOwned, 'a selected account is not one the PSU can share');
      }
      consent.status = 'AUTH';
      consent.psuId = command.psuId;
      consent.grantId = command.grantId;
      consent.authorisedAt = now;
      consent.statusUpdateDateTime = now;
      await manager.update(
        AccountAccessConsentEntity,
        { consentId: consent.consentId },
        { status: 'AUTH', psuId: command.psuId, grantId: command.grantId, authorisedAt: now, statusUpdateDateTime: now },
      );
      await manager.insert(
        ConsentAccountEntity,
        accountIds.map((accountId) => ({ consentId: consent.consentId, accountId })),
      );
      await recordAuditEvent(manager, {
        type: 'consent.authorised',
        actor: { type: 'psu', id: command.psuId },
        clientId: consent.clientId,
        psuId: command.psuId,
        consentId: consent.consentId,
        interactionId: command.interactionId,
        data: { accountIds, permissions: consent.permissions },
      });
      return consent;
    });
  }
}
