import { findUnstorableText, isUnstorableText } from '@consentry/validation';
import { errors } from 'oidc-provider';

/**
 * Refuses authorization parameters holding a character PostgreSQL's jsonb cannot store (U+0000, or half of
 * a surrogate pair), as `invalid_request` at PAR: oidc-provider keeps the parameters in the interaction it
 * saves when the PSU opens the request, and until 7 December 2026 a NUL in `state`, `nonce`, `login_hint`
 * or `acr_values` passed PAR and failed there, leaving the PSU on a 500 page and the TPP without an answer.
 */
export function assertStorableParams(params: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string' && isUnstorableText(value)) throw new errors.InvalidRequest(`${name} holds a character that cannot be used (U+0000, or half of a surrogate pair)`);
  }
}

/**
 * The same rule for whatever oidc-provider saves (`PostgresAdapter#upsert`): a payload jsonb cannot store is
 * an OAuth `invalid_request`, answered to the TPP at its redirect_uri where it can be, never a database
 * error and a 500 page.
 */
export function assertStorablePayload(payload: unknown): void {
  if (findUnstorableText(payload, '').length > 0) throw new errors.InvalidRequest('a parameter holds a character that cannot be used (U+0000, or half of a surrogate pair)');
}
