import type { ObScope } from '@consentry/tpps';

/** The OB resource scopes the API serves, each tied to its PSD2 role in libs/tpps (SCOPE_OF_ROLE). */
export { ROLE_OF_SCOPE } from '@consentry/tpps';
export type { ObScope } from '@consentry/tpps';

export const ACCOUNTS_SCOPE: ObScope = 'accounts';
export const PAYMENTS_SCOPE: ObScope = 'payments';
