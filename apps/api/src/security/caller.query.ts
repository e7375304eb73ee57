import {
  CONSENT_ACCESS_COLUMNS,
  ConsentAccess,
  consentAccessFromRow,
  isPaymentConsentId,
  PAYMENT_CONSENT_ACCESS_COLUMNS,
  PaymentConsentAccess,
  paymentConsentAccessFromRow,
} from '@consentry/consents';
import { DataSource, queryPrepared, TppRole } from '@consentry/database';

/** The calling TPP as stored, and (for a consent-bound token) its consent, read together. */
export interface CallerRead {
  tpp: { clientId: string; name: string; status: string; roles: TppRole[] } | null;
  /** Undefined for a client-credentials or payment token; null when the token names an account-access consent that does not exist. */
  consent?: ConsentAccess | null;
  /** Undefined unless the token names a payment consent; null when that consent does not exist. */
  paymentConsent?: PaymentConsentAccess | null;
}

// One round trip per request for what every check after the token needs: the TPP's status (a suspension
// takes effect at once) and the consent exactly as stored now (a revocation stops the very next call).
const CALLER_AND_CONSENT = `
  SELECT t.client_id, t.name, t.status AS tpp_status, t.roles,
         ${CONSENT_ACCESS_COLUMNS}
    FROM tpp t LEFT JOIN account_access_consent c ON c.consent_id = $2
   WHERE t.client_id = $1`;

const CALLER_AND_PAYMENT_CONSENT = `
  SELECT t.client_id, t.name, t.status AS tpp_status, t.roles,
         ${PAYMENT_CONSENT_ACCESS_COLUMNS}
    FROM tpp t LEFT JOIN payment_consent pc ON pc.consent_id = $2
   WHERE t.client_id = $1`;

const CALLER = `SELECT client_id, name, status AS tpp_status, roles FROM tpp WHERE client_id = $1`;

export async function readCaller(dataSource: DataSource, clientId: string, consentId: string | null): Promise<CallerRead> {
  // Which table a consent lives in shows in its id: one query either way. Prepared: it runs on every TPP call.
  const payment = consentId !== null && isPaymentConsentId(consentId);
  const sql = consentId ? (payment ? CALLER_AND_PAYMENT_CONSENT : CALLER_AND_CONSENT) : CALLER;
  const rows = await queryPrepared(dataSource, sql, consentId ? [clientId, consentId] : [clientId]);
  const row = rows[0];
  if (!row) return { tpp: null, ...(consentId ? (payment ? { paymentConsent: null } : { consent: null }) : {}) };
  const tpp = { clientId: row.client_id as string, name: row.name as string, status: row.tpp_status as string, roles: row.roles as TppRole[] };
  if (!consentId) return { tpp };
  const found = row.consent_id !== null && row.consent_id !== undefined;
  if (payment) return { tpp, paymentConsent: found ? paymentConsentAccessFromRow(row) : null };
  return { tpp, consent: found ? consentAccessFromRow(row) : null };
}
