import { KeyObject } from 'node:crypto';

import { JwsAlgorithm, keyFitsAlgorithm, publicKeyFromJwk } from './compact-jws.js';

/** The authorization server's JWKS could not be fetched or read. */
export class JwksUnavailableError extends Error {
  override name = 'JwksUnavailableError';
}

export interface IssuerKeySetOptions {
  /** Keys older than this are fetched again before use. Default 10 minutes. */
  maxAgeMs?: number;
  /** An unknown kid triggers a refetch at most this often (rotation without a fetch storm). Default 30 s. */
  unknownKidCooldownMs?: number;
  fetchTimeoutMs?: number;
}

interface LoadedKeys {
  keys: Array<{ kid: string | undefined; alg: string | undefined; key: KeyObject }>;
  at: number;
}

/**
 * The issuer's signing keys as node key objects, imported once per fetch of its `jwks_uri`. A token
 * naming a kid we do not hold refetches (the issuer rotated), at most once per cooldown; keys past their
 * age are refetched before use, and kept if the refetch fails (a blip of the issuer refuses nothing).
 */
export class IssuerKeySet {
  private loaded: LoadedKeys | null = null;
  private inflight: Promise<LoadedKeys> | null = null;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly jwksUri: string,
    options: IssuerKeySetOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 10 * 60 * 1000;
    this.cooldownMs = options.unknownKidCooldownMs ?? 30 * 1000;
    this.timeoutMs = options.fetchTimeoutMs ?? 5000;
  }

  /** The published key for a token's header, or null when the issuer publishes none that fits. */
  async keyFor(kid: unknown, alg: JwsAlgorithm): Promise<KeyObject | null> {
    let keys = this.loaded && Date.now() - this.loaded.at < this.maxAgeMs ? this.loaded : await this.refresh();
    let found = this.pick(keys, kid, alg);
    if (!found && Date.now() - keys.at >= this.cooldownMs) {
      keys = await this.refresh();
      found = this.pick(keys, kid, alg);
    }
    return found;
  }

  private pick(loaded: LoadedKeys, kid: unknown, alg: JwsAlgorithm): KeyObject | null {
    const candidates = loaded.keys.filter(
      (entry) => (kid === undefined || entry.kid === kid) && (entry.alg === undefined || entry.alg === alg) && keyFitsAlgorithm(entry.key, alg),
    );
    // Without a kid the key must be unambiguous.
    return candidates.length === 1 || (kid !== undefined && candidates.length > 0) ? candidates[0]!.key : null;
  }

  private async refresh(): Promise<LoadedKeys> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = null;
    });
    try {
      this.loaded = await this.inflight;
    } catch (error) {
      if (!this.loaded) throw error;
    }
    return this.loaded;
  }

  private async fetchKeys(): Promise<LoadedKeys> {
    let body: unknown;
    try {
      const response = await fetch(this.jwksUri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
      if (!response.ok) throw new JwksUnavailableError(`the JWKS answered ${response.status}`);
      body = await response.json();
    } catch (error) {
      if (error instanceof JwksUnavailableError) throw error;
      throw new JwksUnavailableError(`cannot fetch the JWKS: ${error instanceof Error ? error.message : String(error)}`);
    }
    const entries = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(entries)) throw new JwksUnavailableError('the JWKS has no keys array');
    const keys: LoadedKeys['keys'] = [];
    for (const jwk of entries as Array<Record<string, unknown>>) {
      if (typeof jwk !== 'object' || jwk === null || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      try {
        keys.push({ kid: typeof jwk.kid === 'string' ? jwk.kid : undefined, alg: typeof jwk.alg === 'string' ? jwk.alg : undefined, key: publicKeyFromJwk(jwk) });
      } catch {
        // A key we cannot use (private, symmetric, unknown type) is skipped, not fatal.
      }
    }
    return { keys, at: Date.now() };
  }
}
