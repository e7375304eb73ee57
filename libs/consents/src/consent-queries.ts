import { AccountAccessConsentEntity, ConsentStatus, DataSource } from '@consentry/database';

import { Permission } from './permissions.js';

/** What the resource server needs to decide a call: one indexed read per request. */
export interface ConsentAccess {
  consentId: string;
  clientId: string;
  psuId: string | null;
  status: ConsentStatus;
  permissions: Permission[];
  accountIds: string[];
  expirationDateTime: Date | null;
  transactionFromDateTime: Date | null;
  transactionToDateTime: Date | null;
}

export async function findConsentAccess(dataSource: DataSource, consentId: string): Promise<ConsentAccess | null> {
  const rows: Array<Record<string, unknown>> = await dataSource.query(
    `SELECT c.consent_id, c.client_id, c.psu_id, c.status, c.permissions, c.expiration_date_time,
            c.transaction_from_date_time, c.transaction_to_date_time,
            coalesce(array_agg(ca.account_id ORDER BY ca.account_id) FILTER (WHERE ca.account_id IS NOT NULL), '{}') AS account_ids
       FROM account_access_consent c
       LEFT JOIN consent_account ca ON ca.consent_id = c.consent_id
      WHERE c.consent_id = $1
      GROUP BY c.consent_id`,
    [consentId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    consentId: row.consent_id as string,
    clientId: row.client_id as string,
    psuId: (row.psu_id as string | null) ?? null,
    status: row.status as ConsentStatus,
    permissions: row.permissions as Permission[],
    accountIds: row.account_ids as string[],
    expirationDateTime: (row.expiration_date_time as Date | null) ?? null,
    transactionFromDateTime: (row.transaction_from_date_time as Date | null) ?? null,
    transactionToDateTime: (row.transaction_to_date_time as Date | null) ?? null,
  };
}

/** A TPP reads only its own consents; another TPP's consent is "not found". */
export async function findConsentOfClient(
  dataSource: DataSource,
  consentId: string,
  clientId: string,
): Promise<AccountAccessConsentEntity | null> {
  return dataSource.getRepository(AccountAccessConsentEntity).findOne({ where: { consentId, clientId } });
}

/** Whether a consent is usable for data access at `now`. */
export function isConsentLive(consent: Pick<ConsentAccess, 'status' | 'expirationDateTime'>, now = new Date()): boolean {
  return consent.status === 'AUTH' && (consent.expirationDateTime === null || consent.expirationDateTime > now);
}
