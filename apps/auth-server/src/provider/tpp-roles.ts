import { TppRole } from '@consentry/database';

/** The PSD2 roles a TPP can hold (its competent authority's register, carried by the software statement). */
export const TPP_ROLES: readonly TppRole[] = ['AISP', 'PISP', 'CBPII'];

// PSD2 Art. 66, 67, 65: account information, payment initiation, funds confirmation; one scope each.
const SCOPE_OF_ROLE: Record<TppRole, string> = { AISP: 'accounts', PISP: 'payments', CBPII: 'fundsconfirmations' };

export function isTppRole(value: unknown): value is TppRole {
  return typeof value === 'string' && (TPP_ROLES as readonly string[]).includes(value);
}

/**
 * The scopes a TPP may be granted: `openid` and one OB resource scope per role. The provider refuses
 * any other scope with invalid_scope, at PAR and at the token endpoint alike.
 */
export function scopeOfRoles(roles: readonly string[]): string {
  return ['openid', ...TPP_ROLES.filter((role) => roles.includes(role)).map((role) => SCOPE_OF_ROLE[role])].join(' ');
}
