/** OBInternalPermissions1Code: the data clusters an account-access consent can cover (v4.0). */
export const PERMISSIONS = [
  'ReadAccountsBasic',
  'ReadAccountsDetail',
  'ReadBalances',
  'ReadBeneficiariesBasic',
  'ReadBeneficiariesDetail',
  'ReadDirectDebits',
  'ReadOffers',
  'ReadPAN',
  'ReadParty',
  'ReadPartyPSU',
  'ReadProducts',
  'ReadScheduledPaymentsBasic',
  'ReadScheduledPaymentsDetail',
  'ReadStandingOrdersBasic',
  'ReadStandingOrdersDetail',
  'ReadStatementsBasic',
  'ReadStatementsDetail',
  'ReadTransactionsBasic',
  'ReadTransactionsCredits',
  'ReadTransactionsDebits',
  'ReadTransactionsDetail',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

export interface PermissionProblem {
  /** U001 when a permission lacks a companion it needs, U002 for a repeated or meaningless one. */
  errorCode: 'U001' | 'U002';
  message: string;
}

const DETAIL_PERMISSIONS: Permission[] = [
  'ReadAccountsDetail',
  'ReadBeneficiariesDetail',
  'ReadScheduledPaymentsDetail',
  'ReadStandingOrdersDetail',
  'ReadStatementsDetail',
  'ReadTransactionsDetail',
];

/**
 * The permission dependency rules of the OB Account and Transaction API specification: transaction
 * permissions come in pairs (Basic or Detail with Credits and/or Debits), and ReadPAN only widens a
 * Detail permission.
 */
export function checkPermissionCombination(permissions: readonly Permission[]): PermissionProblem[] {
  const problems: PermissionProblem[] = [];
  const set = new Set(permissions);
  if (set.size !== permissions.length) {
    problems.push({ errorCode: 'U002', message: 'Permissions must not repeat a permission' });
  }
  const hasTransactionView = set.has('ReadTransactionsBasic') || set.has('ReadTransactionsDetail');
  const hasTransactionDirection = set.has('ReadTransactionsCredits') || set.has('ReadTransactionsDebits');
  if (hasTransactionView && !hasTransactionDirection) {
    problems.push({
      errorCode: 'U001',
      message: 'ReadTransactionsBasic or ReadTransactionsDetail needs ReadTransactionsCredits and/or ReadTransactionsDebits',
    });
  }
  if (hasTransactionDirection && !hasTransactionView) {
    problems.push({
      errorCode: 'U001',
      message: 'ReadTransactionsCredits or ReadTransactionsDebits needs ReadTransactionsBasic or ReadTransactionsDetail',
    });
  }
  if (set.has('ReadPAN') && !DETAIL_PERMISSIONS.some((p) => set.has(p))) {
    problems.push({ errorCode: 'U001', message: 'ReadPAN needs at least one Detail permission' });
  }
  if (set.size === 1 && set.has('ReadPAN')) {
    problems.push({ errorCode: 'U002', message: 'ReadPAN alone grants no data' });
  }
  return problems;
}
