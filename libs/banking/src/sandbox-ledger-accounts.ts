import type { EntityManager } from '@consentry/database';

/** The account schemes an account of the sandbox ledger may be re-identified to (a card PAN is never stored in clear). */
export const REIDENTIFIABLE_SCHEMES = ['UK.OBIE.SortCodeAccountNumber', 'UK.OBIE.IBAN'] as const;
export type ReidentifiableScheme = (typeof REIDENTIFIABLE_SCHEMES)[number];

/**
 * The sandbox ledger's back office, in the caller's transaction: an account closed (status `Deleted`, as
 * OB's AccountStatus names it). Answers false when there is no such open account.
 */
export async function closeSandboxLedgerAccount(manager: EntityManager, accountId: string): Promise<boolean> {
  const [, changed]: [unknown[], number] = await manager.query(`UPDATE account SET status = 'Deleted' WHERE account_id = $1 AND status <> 'Deleted'`, [accountId]);
  return changed === 1;
}

/**
 * The sandbox ledger's back office: an open account given another scheme and identification (a bank
 * migrating accounts to new sort codes, say). Answers `changed`; `unchanged` when there is no such open
 * account, or when nothing changes; `taken` when another open account holds that identification: two
 * accounts under one number would take each other's payments (a payee is found by its number), so it is
 * refused (until 7 December 2026 it was made, and a payment to the one account credited the other).
 * Re-identifications to one number take turns on a transaction lock of that number, so two at once cannot
 * both find it free.
 */
export async function reidentifySandboxLedgerAccount(
  manager: EntityManager,
  accountId: string,
  identification: { schemeName: ReidentifiableScheme; identification: string },
): Promise<'changed' | 'unchanged' | 'taken'> {
  const values = [accountId, identification.schemeName, identification.identification];
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))`, [identification.schemeName, identification.identification]);
  const [{ taken }]: Array<{ taken: boolean }> = await manager.query(
    `SELECT EXISTS (SELECT 1 FROM account WHERE scheme_name = $2 AND identification = $3 AND account_id <> $1 AND status <> 'Deleted') AS taken`,
    values,
  );
  if (taken) return 'taken';
  const [, changed]: [unknown[], number] = await manager.query(
    `UPDATE account SET scheme_name = $2, identification = $3
      WHERE account_id = $1 AND status <> 'Deleted' AND (scheme_name, identification) IS DISTINCT FROM ($2, $3)`,
    values,
  );
  return changed === 1 ? 'changed' : 'unchanged';
}
