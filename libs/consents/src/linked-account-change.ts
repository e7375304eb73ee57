import { recordAuditEvents } from '@consentry/audit';
import type { AuditEventInput } from '@consentry/audit';
import type { EntityManager } from '@consentry/database';

/** What happened to an account at its bank that a TPP holding it under a consent must hear of. */
export type LinkedAccountChange = 'closed' | 'identification-changed';

export interface RecordLinkedAccountChangeCommand {
  accountId: string;
  change: LinkedAccountChange;
  /** Who changed the ledger: the bank's back office, a connector's feed. */
  actor: { type: 'admin' | 'system'; id: string };
  interactionId?: string;
}

/**
 * Records, in the caller's transaction (the one that changed the ledger), one
 * `consent.linked-account-changed` audit entry per authorised (AUTH) account-access consent that links
 * the account: each becomes the consent's TPP's
 * `urn:uk:org:openbanking:events:account-access-consent-linked-account-update` event (libs/tpps). A
 * consent not yet authorised, or ended, is not told: it gives no access to the account. Answers the
 * consents told.
 */
export async function recordLinkedAccountChange(manager: EntityManager, command: RecordLinkedAccountChangeCommand): Promise<string[]> {
  const consents: Array<{ consent_id: string; client_id: string; psu_id: string | null }> = await manager.query(
    `SELECT c.consent_id, c.client_id, c.psu_id::text AS psu_id
       FROM consent_account ca JOIN account_access_consent c ON c.consent_id = ca.consent_id
      WHERE ca.account_id = $1 AND c.status = 'AUTH'
      ORDER BY c.consent_id`,
    [command.accountId],
  );
  const entries: AuditEventInput[] = consents.map((consent) => ({
    type: 'consent.linked-account-changed',
    actor: command.actor,
    clientId: consent.client_id,
    consentId: consent.consent_id,
    ...(consent.psu_id ? { psuId: consent.psu_id } : {}),
    ...(command.interactionId ? { interactionId: command.interactionId } : {}),
    data: { accountId: command.accountId, change: command.change },
  }));
  await recordAuditEvents(manager, entries);
  return consents.map((consent) => consent.consent_id);
}
