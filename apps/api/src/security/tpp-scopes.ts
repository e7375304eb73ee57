import type { TppRole } from '@consentry/database';

/** The OB resource scopes the API serves, each tied to the PSD2 role that may hold it (Art. 65-67). */
export const ROLE_OF_SCOPE = { accounts: 'AISP', payments: 'PISP', fundsconfirmations: 'CBPII' } as const satisfies Record<string, TppRole>;

export type ObScope = keyof typeof ROLE_OF_SCOPE;

export const ACCOUNTS_SCOPE: ObScope = 'accounts';
export const PAYMENTS_SCOPE: ObScope = 'payments';
