import { ClaimsParameter, errors } from 'oidc-provider';

/** The claim naming the UK OB consent (the OB ConsentId) an authorization request is for. */
export const OPENBANKING_INTENT_ID = 'openbanking_intent_id';

/** OB's ConsentId is Max128Text; none the bank issues holds a control character (PostgreSQL's text holds no NUL). */
const CONSENT_ID_SHAPE = /^[^\u0000-\u001f\u007f]{1,128}$/u;

function valueOf(member: unknown): string | undefined {
  if (member === null || typeof member !== 'object') return undefined;
  const value = (member as { value?: unknown }).value;
  return typeof value === 'string' && CONSENT_ID_SHAPE.test(value) ? value : undefined;
}

/**
 * The ConsentId requested through the OIDC `claims` parameter (OIDC Core 5.5), in `id_token` and/or
 * `userinfo`: `{"id_token":{"openbanking_intent_id":{"value":"<ConsentId>","essential":true}}}`.
 * Accepts the parameter as sent (JSON text) or parsed. Returns undefined when no consent is named;
 * throws invalid_request when the two members name different consents or the value is not a string of 1 to
 * 128 characters without control characters (until 7 December 2026 a NUL passed PAR and failed in the
 * database when the PSU opened the request: the TPP got server_error).
 */
export function requestedIntentId(claims: ClaimsParameter | string | undefined | null): string | undefined {
  if (claims === undefined || claims === null) return undefined;
  let parsed: ClaimsParameter;
  try {
    parsed = typeof claims === 'string' ? (JSON.parse(claims) as ClaimsParameter) : claims;
  } catch {
    throw new errors.InvalidRequest('could not parse the claims parameter JSON');
  }
  const members = [parsed.id_token?.[OPENBANKING_INTENT_ID], parsed.userinfo?.[OPENBANKING_INTENT_ID]].filter((m) => m !== undefined);
  const values = new Set<string>();
  for (const member of members) {
    const value = valueOf(member);
    if (value === undefined) throw new errors.InvalidRequest(`claims ${OPENBANKING_INTENT_ID} must carry the ConsentId as a string "value" of 1 to 128 characters`);
    values.add(value);
  }
  if (values.size > 1) throw new errors.InvalidRequest(`claims name two different ${OPENBANKING_INTENT_ID} values`);
  return values.values().next().value;
}
