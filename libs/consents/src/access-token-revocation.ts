/**
 * What the authorization server and the resource server share about ending an access token before its
 * `exp`: the claim that names the token's grant (the API compares it with the consent's live grant, in the
 * read it already makes), and the Redis key that marks one revoked token (RFC 7009), which the API checks
 * in the same script as the DPoP proof replay check.
 */

/** The access-token claim naming the oidc-provider grant the token was issued under. */
export const ACCESS_TOKEN_GRANT_CLAIM = 'grant_id';

/**
 * Redis key marking access token `jti` of `clientId` as revoked. Hash-tagged by client, like the
 * proof-replay key the API claims in the same script, so both lie in one cluster slot.
 */
export function revokedAccessTokenKey(redisPrefix: string, clientId: string, jti: string): string {
  return `${redisPrefix}:revoked-at:{${clientId}}:${jti}`;
}

/** The proof-replay key of a DPoP proof (its jti digest) for `clientId`'s calls: same slot as the above. */
export function dpopProofKey(redisPrefix: string, clientId: string, digest: string): string {
  return `${redisPrefix}:dpop-jti:{${clientId}}:${digest}`;
}

/** Seconds a revocation mark must live: until the token could no longer pass the API's expiry check. */
export function revocationMarkSeconds(exp: number, now = Math.floor(Date.now() / 1000), clockToleranceSeconds = 30): number {
  return Math.max(1, exp + clockToleranceSeconds - now);
}
