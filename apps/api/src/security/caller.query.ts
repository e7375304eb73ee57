import { CONSENT_ACCESS_COLUMNS, ConsentAccess, consentAccessFromRow } from '@consentry/consents';
import { DataSource, queryPrepared } from '@consentry/database';

/** The calling TPP as stored, and (for a consent-bound token) its consent, read together. */
export interface CallerRead {
  tpp: { clientId: string; name: string; status: string } | null;
  /** Undefined for a client-credentials token; null when the token names a consent that does not exist. */
  consent?: ConsentAccess | null;
}

// One round trip per request for what every check after the token needs: the TPP's status (a suspension
// takes effect at once) and the consent exactly as stored now (a revocation stops the very next call).
const CALLER_AND_CONSENT = `
  SELECT t.client_id, t.name, t.status AS tpp_status,
         ${CONSENT_ACCESS_COLUMNS}
    FROM tpp t LEFT JOIN account_access_consent c ON c.consent_id = $2
   WHERE t.client_id = $1`;

const CALLER = `SELECT client_id, name, status AS tpp_status FROM tpp WHERE client_id = $1`;

export async function readCaller(dataSource: DataSource, clientId: string, consentId: string | null): Promise<CallerRead> {
  // Prepared: it runs on every TPP call.
  const rows = await queryPrepared(dataSource, consentId ? CALLER_AND_CONSENT : CALLER, consentId ? [clientId, consentId] : [clientId]);
  const row = rows[0];
  if (!row) return { tpp: null, consent: consentId ? null : undefined };
  const tpp = { clientId: row.client_id as string, name: row.name as string, status: row.tpp_status as string };
  if (!consentId) return { tpp };
  if (row.consent_id === null || row.consent_id === undefined) return { tpp, consent: null };
  return { tpp, consent: consentAccessFromRow(row) };
}
