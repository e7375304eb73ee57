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
 * migrating accounts to new sort codes, say). Answers false when there is no such open account, or when
 * nothing changes.
 */
export async function reidentifySandboxLedgerAccount(
  manager: EntityManager,
  accountId: string,
  identification: { schemeName: ReidentifiableScheme; identification: string },
): Promise<boolean> {
  const [, changed]: [unknown[], number] = await manager.query(
    `UPDATE account SET scheme_name = $2, identification = $3
      WHERE account_id = $1 AND status <> 'Deleted' AND (scheme_name, identification) IS DISTINCT FROM ($2, $3)`,
    [accountId, identification.schemeName, identification.identification],
  );
  return changed === 1;
}
