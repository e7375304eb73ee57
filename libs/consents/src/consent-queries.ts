import { AccountAccessConsentEntity, ConsentJurisdiction, ConsentStatus, DataSource } from '@consentry/database';

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
  /** Which re-authentication period applies (EU 180 days, UK 90 days). */
  jurisdiction: ConsentJurisdiction;
  authorisedAt: Date | null;
  reauthenticatedAt: Date | null;
  /** The oidc-provider grant whose tokens may use the consent now (null before authorisation). */
  grantId: string | null;
}

/** The columns every consent-access read selects (table alias `c`), in the order `consentAccessFromRow` reads them. */
export const CONSENT_ACCESS_COLUMNS = `c.consent_id, c.client_id AS consent_client_id, c.psu_id, c.status, c.permissions, c.expiration_date_time,
         c.transaction_from_date_time, c.transaction_to_date_time, c.jurisdiction, c.authorised_at, c.reauthenticated_at, c.grant_id,
         (SELECT coalesce(array_agg(ca.account_id ORDER BY ca.account_id), '{}') FROM consent_account ca WHERE ca.consent_id = c.consent_id) AS account_ids`;

/** Maps a row selected with CONSENT_ACCESS_COLUMNS. */
export function consentAccessFromRow(row: Record<string, unknown>): ConsentAccess {
  return {
    consentId: row.consent_id as string,
    clientId: row.consent_client_id as string,
    psuId: (row.psu_id as string | null) ?? null,
    status: row.status as ConsentStatus,
    permissions: row.permissions as Permission[],
    accountIds: row.account_ids as string[],
    expirationDateTime: (row.expiration_date_time as Date | null) ?? null,
    transactionFromDateTime: (row.transaction_from_date_time as Date | null) ?? null,
    transactionToDateTime: (row.transaction_to_date_time as Date | null) ?? null,
    jurisdiction: row.jurisdiction as ConsentJurisdiction,
    authorisedAt: (row.authorised_at as Date | null) ?? null,
    reauthenticatedAt: (row.reauthenticated_at as Date | null) ?? null,
    grantId: (row.grant_id as string | null) ?? null,
  };
}

export async function findConsentAccess(dataSource: DataSource, consentId: string): Promise<ConsentAccess | null> {
  const rows: Array<Record<string, unknown>> = await dataSource.query(
    `SELECT ${CONSENT_ACCESS_COLUMNS} FROM account_access_consent c WHERE c.consent_id = $1`,
    [consentId],
  );
  return rows[0] ? consentAccessFromRow(rows[0]) : null;
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
export function isConsentLive(consent: { status: string; expirationDateTime: Date | null }, now = new Date()): boolean {
  return consent.status === 'AUTH' && (consent.expirationDateTime === null || consent.expirationDateTime > now);
}

/**
 * When a consent of any kind that is no longer live ended: its status change (revoked, expired by the
 * sweep, consumed, rejected), or, authorised and past its end before the sweep reached it, its end (its
 * status change is then still the authorisation). Null while it awaits approval or is live.
 */
export function consentEndedAt(consent: { status: string; expirationDateTime: Date | null; statusUpdateDateTime: Date }, now = new Date()): Date | null {
  if (consent.status === 'AWAU' || isConsentLive(consent, now)) return null;
  return consent.status === 'AUTH' && consent.expirationDateTime ? consent.expirationDateTime : consent.statusUpdateDateTime;
}

/** isConsentLive's rule as a condition on the account_access_consent row `alias` at `$nowParam`, for counts made in SQL. */
export function consentLiveCondition(alias: string, nowParam: string): string {
  return `(${alias}.status = 'AUTH' AND (${alias}.expiration_date_time IS NULL OR ${alias}.expiration_date_time > ${nowParam}))`;
}

/** A grant's consent, as consentsOfGrants finds it. */
export interface ConsentOfGrant {
  grantId: string;
  consentId: string;
  psuId: string | null;
}

/**
 * The consents the grants were saved for, of every kind (one consent model: an account-access consent
 * `aac-`, or a payment one `pmc-`: domestic, scheduled, standing-order, VRP, funds-confirmation), with
 * their PSU; one indexed look-up per table.
 */
export async function consentsOfGrants(dataSource: DataSource, grantIds: readonly string[]): Promise<ConsentOfGrant[]> {
  if (grantIds.length === 0) return [];
  const rows: Array<{ grant_id: string; consent_id: string; psu_id: string | null }> = await dataSource.query(
    `SELECT grant_id, consent_id, psu_id FROM account_access_consent WHERE grant_id = ANY($1)
     UNION ALL
     SELECT grant_id, consent_id, psu_id FROM payment_consent WHERE grant_id = ANY($1)`,
    [grantIds],
  );
  return rows.map((row) => ({ grantId: row.grant_id, consentId: row.consent_id, psuId: row.psu_id }));
}
