import { ApiConfig } from '@consentry/config';
import { isMessageSigningJwk, MessageSignatureExpectations, tppMessageIssuer } from '@consentry/message-signing';
import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, importJWK, JWK, type CryptoKey } from 'jose';

import { API_CONFIG } from '../api.tokens.js';
import type { TppSigningRegistration } from '../security/caller.query.js';

// Imported keys, by client, kid and the key itself: a re-registration with a new key under an old kid
// is a new entry, so a replaced key is never used again.
const MAX_CACHED_KEYS = 10_000;

/**
 * What a TPP's request signatures must say and which keys they may be made with: the TPP's registered
 * keys (its row's JWKS, or its jwks_uri), `iss` = `{org_id}/{software_id}` of its registration, and the
 * trust anchor this deployment accepts. The registration comes from the TPP's row as the request's
 * authentication read it, so a key removed by a re-registration stops at once.
 */
@Injectable()
export class TppSigningKeys {
  private readonly imported = new Map<string, Promise<CryptoKey>>();
  private readonly remote = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  /**
   * `registration`: the TPP's signing registration (keys, organisation and software ids) as this request
   * read it with the TPP in its authentication (TppAuthGuard), so a replaced key stops at once.
   */
  expectationsFor(clientId: string, registration: TppSigningRegistration): MessageSignatureExpectations {
    const { orgId, softwareId, jwks: stored, jwksUri } = registration;
    // A registration without both ids cannot be named by any iss: every signature is refused on iss (until
    // 7 December 2026 the iss expected was `unregistered:<client_id>`, which a TPP could write and sign).
    const iss = orgId && softwareId ? tppMessageIssuer(orgId, softwareId) : null;
    const jwks = (stored as { keys?: unknown } | null | undefined)?.keys;
    return {
      iss,
      tan: this.config.messageSigningTrustAnchor,
      key: (kid) => (Array.isArray(jwks) ? this.inlineKey(clientId, jwks as JWK[], kid) : jwksUri ? this.remoteKey(jwksUri, kid) : Promise.resolve(undefined)),
    };
  }

  private inlineKey(clientId: string, keys: JWK[], kid: string): Promise<CryptoKey | undefined> {
    const jwk = keys.find((key) => key.kid === kid);
    if (!jwk || !isMessageSigningJwk(jwk)) return Promise.resolve(undefined);
    const cacheKey = `${clientId}\u0000${kid}\u0000${jwk.n}\u0000${jwk.e}`;
    let key = this.imported.get(cacheKey);
    if (!key) {
      if (this.imported.size >= MAX_CACHED_KEYS) this.imported.clear();
      key = importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'PS256') as Promise<CryptoKey>;
      this.imported.set(cacheKey, key);
      key.catch(() => this.imported.delete(cacheKey));
    }
    return key;
  }

  private async remoteKey(uri: string, kid: string): Promise<CryptoKey | undefined> {
    let set = this.remote.get(uri);
    if (!set) {
      // A key the TPP removes from its endpoint stops within a minute (it was ten until 7 December 2026).
      set = createRemoteJWKSet(new URL(uri), { cacheMaxAge: 60_000, timeoutDuration: 5_000 });
      this.remote.set(uri, set);
    }
    try {
      return (await set({ alg: 'PS256', kid })) as CryptoKey;
    } catch {
      // No such kid at the TPP's endpoint (or it cannot be reached): the kid names no key we can use.
      return undefined;
    }
  }
}
