import type { TestDatabase } from '@consentry/testing';

/** Who pays in a payment spec: a TPP, a bank, a PSU and the PSU's GBP account at that bank. */
export interface Payer {
  clientId: string;
  aspspId: string;
  psuId: string;
  username: string;
  accountId: string;
  /** Sort code and account number (14 digits), unique within the spec's database. */
  identification: string;
}

/** Inserts `payer`'s rows (spec-only; the use cases under test write everything else). */
export async function insertPayer(db: TestDatabase, payer: Payer): Promise<void> {
  const q = (sql: string, params: unknown[]) => db.dataSource.query(sql, params);
  await q(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, $1, '{PISP}', '{}')`, [payer.clientId]);
  await q(`INSERT INTO aspsp (aspsp_id, name, connector) VALUES ($1, $1, 'sandbox-ledger')`, [payer.aspspId]);
  await q(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, $2, $2, 'h', 't')`, [payer.psuId, payer.username]);
  await q(
    `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, scheme_name, identification, holder_name)
     VALUES ($1, $2, $3, 'GBP', 'Personal', 'CACC', 'UK.OBIE.SortCodeAccountNumber', $4, 'Holder')`,
    [payer.accountId, payer.aspspId, payer.psuId, payer.identification],
  );
}
