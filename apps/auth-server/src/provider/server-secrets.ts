import { hkdfSync, randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { AuthServerConfig, checkCookieKeys, PlatformMode, readOrCreateKeyFile, StartupError } from '@consentry/config';

/** Symmetric secrets of the authorization server, all rooted in the cookie keys. */
export interface ServerSecrets {
  /** Keygrip keys signing oidc-provider's cookies; the first signs, all verify (rotate by prepending). */
  cookieKeys: string[];
  /** 32 bytes for oidc-provider's stateless DPoP server nonces (RFC 9449 section 8). */
  dpopNonceSecret: Buffer;
  /** 32 bytes keying the per-interaction CSRF tokens of the login and consent forms. */
  interactionCsrfKey: Buffer;
}

export function devSecretsPath(dataDir: string): string {
  return join(dataDir, 'keys', 'auth-server-secrets.json');
}

// One secret configured (COOKIE_KEYS), several derived with HKDF (RFC 5869) under distinct labels, so
// every instance behind a load balancer agrees on nonces and CSRF tokens without more configuration.
function derive(rootKey: string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(rootKey, 'utf8'), 'consentry-auth-server', label, 32));
}

// loadAuthServerConfig checks COOKIE_KEYS too; this holds for a config built any other way (tests, benches)
// and for the keys the sandbox stored.
function fromCookieKeys(cookieKeys: string[], mode: PlatformMode): ServerSecrets {
  checkCookieKeys(cookieKeys, mode);
  const [signing] = cookieKeys;
  if (!signing) throw new StartupError('COOKIE_KEYS holds no key');
  return {
    cookieKeys,
    dpopNonceSecret: derive(signing, 'dpop-nonce'),
    interactionCsrfKey: derive(signing, 'interaction-csrf'),
  };
}

/**
 * Cookie keys from COOKIE_KEYS; in sandbox mode without it, a random key generated once under
 * `<dataDir>/keys` (0600). Production refuses to start without COOKIE_KEYS.
 */
export async function loadServerSecrets(config: Pick<AuthServerConfig, 'cookieKeys' | 'dataDir' | 'mode'>): Promise<ServerSecrets> {
  if (config.cookieKeys && config.cookieKeys.length > 0) return fromCookieKeys(config.cookieKeys, config.mode);
  if (config.mode === 'production') {
    throw new StartupError('COOKIE_KEYS is required in production mode (comma-separated, newest first, 32+ characters each)');
  }
  const path = devSecretsPath(config.dataDir);
  const stored = await readOrCreateKeyFile(
    path,
    async () => ({ cookieKeys: [randomBytes(32).toString('base64url')] }),
    (value) => {
      const keys = (value as { cookieKeys?: unknown }).cookieKeys;
      if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k.length >= 32)) {
        throw new StartupError(`${path} is damaged: delete it and restart to generate new sandbox secrets`);
      }
      return { cookieKeys: keys as string[] };
    },
  );
  return fromCookieKeys(stored.cookieKeys, config.mode);
}
