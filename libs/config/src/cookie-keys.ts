import { ConfigError } from './config.error.js';
import type { PlatformMode } from './platform.config.js';
import { isPlaceholder } from './secret-placeholders.js';

// Keygrip verifies with every key, so a short old key is as weak a point as a short signing key.
const MIN_COOKIE_KEY_LENGTH = 32;
// 32 random base64 characters hold some 25 distinct ones; fewer than 16 is a typed or patterned key.
const MIN_DISTINCT_CHARACTERS = 16;

/**
 * The auth server's cookie keys (COOKIE_KEYS, newest first): every one 32+ characters in every mode, and in
 * production none a template's REPLACE-ME stand-in. Errors say which key by position, never its value.
 */
export function checkCookieKeys(keys: readonly string[], mode: PlatformMode): void {
  keys.forEach((key, index) => {
    if (key.length < MIN_COOKIE_KEY_LENGTH) {
      throw new ConfigError('COOKIE_KEYS', `key ${index + 1} must be at least ${MIN_COOKIE_KEY_LENGTH} characters long (every key, not only the first)`);
    }
    if (mode === 'production' && isPlaceholder(key)) {
      throw new ConfigError('COOKIE_KEYS', `key ${index + 1} is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml: replace it with a random key (\`openssl rand -base64 48\`)`);
    }
    if (mode === 'production' && new Set(key).size < MIN_DISTINCT_CHARACTERS) {
      // Until 7 December 2026 production took 32 times "a": the cookies' signatures and the keys derived from it rest on it.
      throw new ConfigError('COOKIE_KEYS', `key ${index + 1} is not random (fewer than ${MIN_DISTINCT_CHARACTERS} distinct characters): generate one with \`openssl rand -base64 48\``);
    }
  });
}
