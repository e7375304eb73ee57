import { DataSource, entitySelectList, EntityManager, PaymentConsentEntity, PaymentConsentKind, PaymentConsentStatus, queryPreparedIn } from '@consentry/database';

import { ConsentException, ConsentExceptionCode } from './consent.exception.js';

/**
 * Payment consent ids start with this; account-access ones with `aac-`. The resource server, the
 * introspection and the revocation paths tell the kinds of consent apart by it, without a lookup.
 */
export const PAYMENT_CONSENT_ID_PREFIX = 'pmc-';

export function isPaymentConsentId(consentId: string): boolean {
  return consentId.startsWith(PAYMENT_CONSENT_ID_PREFIX);
}

/** What the resource server needs to decide a call under a payment consent's token. */
export interface PaymentConsentAccess {
  consentId: string;
  kind: PaymentConsentKind;
  clientId: string;
  psuId: string | null;
  status: PaymentConsentStatus;
  debtorAccountId: string | null;
  authorisedAt: Date | null;
  grantId: string | null;
  expirationDateTime: Date | null;
}

/** The columns every payment-consent access read selects (table alias `pc`), read by paymentConsentAccessFromRow. */
export const PAYMENT_CONSENT_ACCESS_COLUMNS = `pc.consent_id, pc.kind, pc.client_id AS consent_client_id, pc.psu_id, pc.status, pc.debtor_account_id,
         pc.authorised_at, pc.grant_id, pc.expiration_date_time`;

export function paymentConsentAccessFromRow(row: Record<string, unknown>): PaymentConsentAccess {
  return {
    consentId: row.consent_id as string,
    kind: row.kind as PaymentConsentKind,
    clientId: row.consent_client_id as string,
    psuId: (row.psu_id as string | null) ?? null,
    status: row.status as PaymentConsentStatus,
    debtorAccountId: (row.debtor_account_id as string | null) ?? null,
    authorisedAt: (row.authorised_at as Date | null) ?? null,
    grantId: (row.grant_id as string | null) ?? null,
    expirationDateTime: (row.expiration_date_time as Date | null) ?? null,
  };
}

export async function findPaymentConsentAccess(dataSource: DataSource, consentId: string): Promise<PaymentConsentAccess | null> {
  const rows: Array<Record<string, unknown>> = await dataSource.query(
    `SELECT ${PAYMENT_CONSENT_ACCESS_COLUMNS} FROM payment_consent pc WHERE pc.consent_id = $1`,
    [consentId],
  );
  return rows[0] ? paymentConsentAccessFromRow(rows[0]) : null;
}

/**
 * Whether a payment consent's PSU token may be used now: AUTH and unexpired. A consumed (COND)
 * consent's token has nothing left to do: its payment is read with client credentials.
 */
export function isPaymentConsentLive(consent: Pick<PaymentConsentAccess, 'status' | 'expirationDateTime'>, now = new Date()): boolean {
  return consent.status === 'AUTH' && (consent.expirationDateTime === null || consent.expirationDateTime > now);
}

/** A TPP reads only its own payment consents; another TPP's is "not found". Of one kind, or (no kind) of any. */
export function findPaymentConsentOfClient(
  dataSource: DataSource,
  consentId: string,
  clientId: string,
  kind?: PaymentConsentKind,
): Promise<PaymentConsentEntity | null> {
  return dataSource.getRepository(PaymentConsentEntity).findOne({ where: { consentId, clientId, ...(kind ? { kind } : {}) } });
}

/** As findPaymentConsentOfClient, for a consent the TPP names: another TPP's, another kind's or none is "not found". */
export async function paymentConsentOfClient(dataSource: DataSource, consentId: string, clientId: string, kind: PaymentConsentKind): Promise<PaymentConsentEntity> {
  const consent = await findPaymentConsentOfClient(dataSource, consentId, clientId, kind);
  if (!consent) throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  return consent;
}

/** Locks a payment consent row the caller may act on; another TPP's consent is reported as not found. */
export async function lockPaymentConsentOfClient(
  manager: EntityManager,
  consentId: string,
  clientId: string | undefined,
  alsoLock?: (debtorAccountId: string) => string,
): Promise<PaymentConsentEntity> {
  // A prepared statement: every payment takes this lock, inside its transaction. `alsoLock` is a lock
  // expression on the consent's debtor account, taken in the same round trip (see lockVrpConsent).
  const also = alsoLock ? `, ${alsoLock('debtor_account_id')} AS "alsoLocked"` : '';
  const [row] = await queryPreparedIn<PaymentConsentEntity & { alsoLocked?: unknown }>(
    manager,
    `SELECT ${entitySelectList(manager.connection, PaymentConsentEntity)}${also} FROM payment_consent WHERE consent_id = $1 FOR UPDATE`,
    [consentId],
  );
  if (row) delete row.alsoLocked;
  const consent = row ? Object.assign(new PaymentConsentEntity(), row) : null;
  if (!consent || (clientId !== undefined && consent.clientId !== clientId)) {
    throw new ConsentException(ConsentExceptionCode.NotFound, 'No such consent');
  }
  return consent;
}
