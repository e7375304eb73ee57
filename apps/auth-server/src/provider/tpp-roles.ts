import { SCOPE_OF_ROLE, TPP_ROLES } from '@consentry/tpps';

/**
 * The scopes a TPP may be granted: `openid` and one OB resource scope per role (SCOPE_OF_ROLE in
 * libs/tpps). The provider refuses any other scope with invalid_scope, at PAR and at the token endpoint alike.
 */
export function scopeOfRoles(roles: readonly string[]): string {
  return ['openid', ...TPP_ROLES.filter((role) => roles.includes(role)).map((role) => SCOPE_OF_ROLE[role])].join(' ');
}
