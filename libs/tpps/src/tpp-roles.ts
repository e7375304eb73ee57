import type { TppRole } from '@consentry/database';

/** The PSD2 roles a TPP can hold (its competent authority's register, carried by the software statement). */
export const TPP_ROLES: readonly TppRole[] = ['AISP', 'PISP', 'CBPII'];

/**
 * The OB resource scope of each role, the one place that ties them (PSD2 Art. 66, 67, 65: account
 * information, payment initiation, funds confirmation). The authorization server grants a TPP only its
 * roles' scopes, and checks a token's scopes against the roles the TPP holds when it issues one; the API
 * checks the route's scope against them on every request, so a role withdrawn at the register ends it.
 */
export const SCOPE_OF_ROLE = { AISP: 'accounts', PISP: 'payments', CBPII: 'fundsconfirmations' } as const satisfies Record<TppRole, string>;

/** An OB resource scope. */
export type ObScope = (typeof SCOPE_OF_ROLE)[TppRole];

/** The role each OB resource scope needs. */
export const ROLE_OF_SCOPE = Object.fromEntries(TPP_ROLES.map((role) => [SCOPE_OF_ROLE[role], role])) as Record<ObScope, TppRole>;

export function isTppRole(value: unknown): value is TppRole {
  return typeof value === 'string' && (TPP_ROLES as readonly string[]).includes(value);
}

/** The roles a token with this space-separated `scope` needs: one per OB resource scope in it (openid needs none). */
export function rolesForScope(scope: string): TppRole[] {
  return TPP_ROLES.filter((role) => scope.split(' ').includes(SCOPE_OF_ROLE[role]));
}
