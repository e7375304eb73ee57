import { DataSource } from '@consentry/database';

import { approvalOf, type PaymentApprovalSeal } from './payment-approval-seal.js';

export interface ResealPaymentApprovalsResult {
  /** The id of the key the approvals of authorised consents are now sealed under. */
  keyId: string;
  /** Seals this run re-made under that key (seals already under it are not counted). */
  resealed: number;
  /** Consents in use whose seal holds under no key of the keyring: left as they are (a payment under them is U008, an order is not sent). */
  unverified: string[];
}

/**
 * SQL: the consent's approval is still checked by a payment to come (isOrderAsApproved): authorised, or
 * consumed or ended with an order still pending under it (a scheduled payment before its date, a standing
 * order's runs, a held or stranded payment the worker re-drives). Without these, a rotation that dropped
 * the old key would have made every pending order fail its approval check.
 */
const APPROVAL_IN_USE = `(c.status = 'AUTH'
  OR EXISTS (SELECT 1 FROM domestic_payment d WHERE d.consent_id = c.consent_id AND d.status = 'PDNG')
  OR EXISTS (SELECT 1 FROM vrp_payment v WHERE v.consent_id = c.consent_id AND v.status = 'PDNG')
  OR EXISTS (SELECT 1 FROM domestic_standing_order o WHERE o.consent_id = c.consent_id AND o.status = 'PDNG')
  OR EXISTS (SELECT 1 FROM domestic_standing_order o JOIN standing_order_run r ON r.standing_order_id = o.standing_order_id
              WHERE o.consent_id = c.consent_id AND r.status = 'PDNG'))`;

/** A consent as approvalOf reads it, with its stored seal. */
type SealedConsent = Parameters<typeof approvalOf>[0] & { seal: string | null };

/**
 * Part of a rotation of the secrets keyring (`npm run secrets:rotate`): re-seals the approval of every
 * payment consent still in use (APPROVAL_IN_USE: authorised, or with an order pending under it) whose seal
 * is under an older key of the keyring, so that the old key can be
 * removed without making the PSUs approve again. A seal is re-made only after it was verified under its
 * own key: an altered consent is never re-sealed (it is listed in `unverified`). Keyset paging on the
 * consent id; each batch is one UPDATE that writes a row only if its seal is still the one read.
 * Idempotent and resumable, like rotateSecrets.
 */
export async function resealPaymentApprovals(
  dataSource: DataSource,
  approvals: PaymentApprovalSeal,
  options: { batchSize?: number } = {},
): Promise<ResealPaymentApprovalsResult> {
  const batchSize = options.batchSize ?? 500;
  const current = `v1.${approvals.writeKeyId}.`;
  const result: ResealPaymentApprovalsResult = { keyId: approvals.writeKeyId, resealed: 0, unverified: [] };
  let after = '';
  for (;;) {
    const rows: SealedConsent[] = await dataSource.query(
      `SELECT consent_id AS "consentId", client_id AS "clientId", psu_id::text AS "psuId", debtor_account_id AS "debtorAccountId", kind, initiation,
              control_parameters AS "controlParameters",
              creation_date_time AS "creationDateTime", expiration_date_time AS "expirationDateTime", initiation_hash AS seal
         FROM payment_consent c
        WHERE ${APPROVAL_IN_USE} AND consent_id > $1 AND NOT starts_with(coalesce(initiation_hash, ''), $2)
        ORDER BY consent_id LIMIT $3`,
      [after, current, batchSize],
    );
    if (rows.length === 0) break;
    const ids: string[] = [];
    const before: string[] = [];
    const sealed: string[] = [];
    for (const row of rows) {
      const approval = approvalOf(row);
      if (approval === null || !approvals.holds(row.seal, approval)) {
        result.unverified.push(row.consentId);
        continue;
      }
      ids.push(row.consentId);
      before.push(row.seal!);
      sealed.push(approvals.seal(approval));
    }
    if (ids.length > 0) {
      const [updated] = (await dataSource.query(
        `WITH written AS (
           UPDATE payment_consent c SET initiation_hash = n.sealed
             FROM unnest($1::text[], $2::text[], $3::text[]) AS n (id, before, sealed)
            WHERE c.consent_id = n.id AND c.initiation_hash = n.before
           RETURNING 1)
         SELECT count(*)::int AS n FROM written`,
        [ids, before, sealed],
      )) as { n: number }[];
      result.resealed += updated!.n;
    }
    after = rows[rows.length - 1]!.consentId;
    if (rows.length < batchSize) break;
  }
  return result;
}
