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

/** What a TPP registered for signing its requests: its public keys (inline or at a URL) and the ids that make its `iss`. */
export interface TppSigningRegistration {
  jwks: unknown;
  jwksUri: string | undefined;
  orgId: string | undefined;
  softwareId: string | undefined;
}

/** The calling TPP as stored, and (for a consent-bound token) its consent, read together. */
export interface CallerRead {
  tpp: { clientId: string; name: string; status: string; roles: TppRole[]; signing: TppSigningRegistration } | null;
  /** Undefined for a client-credentials or payment token; null when the token names an account-access consent that does not exist. */
  consent?: ConsentAccess | null;
  /** Undefined unless the token names a payment consent; null when that consent does not exist. */
  paymentConsent?: PaymentConsentAccess | null;
}

// One round trip per request for what every check after the token needs: the TPP's status (a suspension
// takes effect at once), its registered signing keys (a key removed by a re-registration stops at once),
// and the consent exactly as stored now (a revocation stops the very next call).
const TPP_COLUMNS = `t.client_id, t.name, t.status AS tpp_status, t.roles,
  t.client_metadata->'jwks' AS jwks, t.client_metadata->>'jwks_uri' AS jwks_uri,
  t.client_metadata->>'org_id' AS org_id, t.client_metadata->>'software_id' AS software_id`;

const CALLER_AND_CONSENT = `
  SELECT ${TPP_COLUMNS},
         ${CONSENT_ACCESS_COLUMNS}
    FROM tpp t LEFT JOIN account_access_consent c ON c.consent_id = $2
   WHERE t.client_id = $1`;

const CALLER_AND_PAYMENT_CONSENT = `
  SELECT ${TPP_COLUMNS},
         ${PAYMENT_CONSENT_ACCESS_COLUMNS}
    FROM tpp t LEFT JOIN payment_consent pc ON pc.consent_id = $2
   WHERE t.client_id = $1`;

const CALLER = `SELECT ${TPP_COLUMNS} FROM tpp t WHERE t.client_id = $1`;

export async function readCaller(dataSource: DataSource, clientId: string, consentId: string | null): Promise<CallerRead> {
  // Which table a consent lives in shows in its id: one query either way. Prepared: it runs on every TPP call.
  const payment = consentId !== null && isPaymentConsentId(consentId);
  const sql = consentId ? (payment ? CALLER_AND_PAYMENT_CONSENT : CALLER_AND_CONSENT) : CALLER;
  const rows = await queryPrepared(dataSource, sql, consentId ? [clientId, consentId] : [clientId]);
  const row = rows[0];
  if (!row) return { tpp: null, ...(consentId ? (payment ? { paymentConsent: null } : { consent: null }) : {}) };
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const signing = { jwks: row.jwks, jwksUri: text(row.jwks_uri), orgId: text(row.org_id), softwareId: text(row.software_id) };
  const tpp = { clientId: row.client_id as string, name: row.name as string, status: row.tpp_status as string, roles: row.roles as TppRole[], signing };
  if (!consentId) return { tpp };
  const found = row.consent_id !== null && row.consent_id !== undefined;
  if (payment) return { tpp, paymentConsent: found ? paymentConsentAccessFromRow(row) : null };
  return { tpp, consent: found ? consentAccessFromRow(row) : null };
}
