import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AuthServerConfig, readOrCreateKeyFile, StartupError } from '@consentry/config';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, JWK } from 'jose';

/** A private JSON Web Key Set as oidc-provider takes it (`jwks` configuration). */
export interface SigningJwks {
  keys: JWK[];
}

/** Where sandbox dev keys live: under the git-ignored data dir, readable by the owner only. */
export function devSigningJwksPath(dataDir: string): string {
  return join(dataDir, 'keys', 'auth-server-jwks.json');
}

// FAPI 2.0 Security Profile 5.4.1: PS256, ES256 or EdDSA only. PS256 first: it signs access tokens and
// ID tokens by default; ES256 is offered to clients that register for it.
const SIGNING_ALGORITHMS = ['PS256', 'ES256'] as const;

async function generateSigningJwks(): Promise<SigningJwks> {
  const keys: JWK[] = [];
  for (const alg of SIGNING_ALGORITHMS) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'PS256' ? { modulusLength: 3072 } : {}) });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: await calculateJwkThumbprint(jwk) });
  }
  return { keys };
}

function assertPrivateJwks(value: unknown, source: string): SigningJwks {
  const keys = (value as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new StartupError(`${source} holds no "keys" array: expected a private JSON Web Key Set`);
  }
  for (const key of keys as JWK[]) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string' || typeof key.d !== 'string') {
      throw new StartupError(`${source} holds a key without its private part: the authorization server signs with it`);
    }
  }
  if (!(keys as JWK[]).some((key) => key.alg === 'PS256' || key.kty === 'RSA')) {
    throw new StartupError(`${source} holds no RSA key: access tokens and ID tokens are signed with PS256`);
  }
  return { keys: keys as JWK[] };
}

/**
 * The authorization server's signing keys: SIGNING_JWKS_FILE when set, else (sandbox only) dev keys
 * generated on first start under `<dataDir>/keys` with mode 0600. Production refuses to invent keys:
 * every instance behind a load balancer must sign with the same, managed keys.
 */
export async function loadSigningJwks(config: Pick<AuthServerConfig, 'signingJwksFile' | 'dataDir' | 'mode'>): Promise<SigningJwks> {
  if (config.signingJwksFile) {
    let text: string;
    try {
      text = await readFile(config.signingJwksFile, 'utf8');
    } catch (error) {
      throw new StartupError(`cannot read SIGNING_JWKS_FILE ${config.signingJwksFile} (${(error as Error).message})`);
    }
    try {
      return assertPrivateJwks(JSON.parse(text), 'SIGNING_JWKS_FILE');
    } catch (error) {
      if (error instanceof StartupError) throw error;
      throw new StartupError('SIGNING_JWKS_FILE is not valid JSON');
    }
  }
  if (config.mode === 'production') {
    throw new StartupError('SIGNING_JWKS_FILE is required in production mode (dev keys are generated only in sandbox mode)');
  }
  const path = devSigningJwksPath(config.dataDir);
  return readOrCreateKeyFile(path, generateSigningJwks, (value) => assertPrivateJwks(value, path));
}
