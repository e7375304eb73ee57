import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';

/** One AES-256-GCM key protecting customer secrets at rest, with the id its ciphertexts carry. */
export interface SecretsKey {
  kid: string;
  key: Buffer;
}

/** The key id of SECRETS_KEY (and of the sandbox key): the one key before SECRETS_KEYS existed. */
export const SINGLE_SECRETS_KEY_ID = 'default';

// Only for sandbox mode: a well-known development key so the sandbox starts without setup. Production
// refuses it under either variable: anyone with the source could decrypt.
const SANDBOX_SECRETS_KEY = Buffer.alloc(32, 0x5a);

const KID = /^[A-Za-z0-9_-]{1,32}$/;

function decode(name: string, value: string, position: string): Buffer {
  const key = Buffer.from(value, 'base64');
  // Never echo the value: it is the key.
  if (key.length !== 32) throw new ConfigError(name, `${position}must be 32 bytes, base64-encoded`);
  return key;
}

/**
 * The keyring of customer secrets at rest: SECRETS_KEYS (`kid:base64key,kid:base64key`; the first
 * encrypts, all decrypt), or SECRETS_KEY (one key, id `default`), or in sandbox mode the sandbox key.
 */
export function readSecretsKeys(read: EnvReader, mode: 'sandbox' | 'production'): SecretsKey[] {
  const list = read.raw('SECRETS_KEYS');
  const single = read.raw('SECRETS_KEY');
  if (list !== undefined && single !== undefined) {
    throw new ConfigError('SECRETS_KEYS', 'and SECRETS_KEY are both set: list every key in SECRETS_KEYS (SECRETS_KEY\'s as `default:<key>`) and unset SECRETS_KEY');
  }
  let keys: SecretsKey[];
  if (list !== undefined) {
    keys = list.split(',').map((entry, index) => {
      const separator = entry.indexOf(':');
      const kid = entry.slice(0, separator).trim();
      if (separator < 0 || !KID.test(kid)) {
        throw new ConfigError('SECRETS_KEYS', `entry ${index + 1} must be kid:base64key, the kid 1-32 characters of A-Z, a-z, 0-9, "_" or "-"`);
      }
      return { kid, key: decode('SECRETS_KEYS', entry.slice(separator + 1).trim(), `entry ${index + 1} (${kid}) `) };
    });
    const seen = new Set<string>();
    for (const { kid } of keys) {
      if (seen.has(kid)) throw new ConfigError('SECRETS_KEYS', `names key id "${kid}" twice`);
      seen.add(kid);
    }
  } else if (single !== undefined) {
    keys = [{ kid: SINGLE_SECRETS_KEY_ID, key: decode('SECRETS_KEY', single, '') }];
  } else if (mode === 'sandbox') {
    keys = [{ kid: SINGLE_SECRETS_KEY_ID, key: SANDBOX_SECRETS_KEY }];
  } else {
    throw new ConfigError('SECRETS_KEY', 'is required in production mode (or SECRETS_KEYS)');
  }
  if (mode === 'production' && keys.some(({ key }) => key.equals(SANDBOX_SECRETS_KEY))) {
    throw new ConfigError(list !== undefined ? 'SECRETS_KEYS' : 'SECRETS_KEY', 'holds the well-known sandbox key, refused in production mode');
  }
  return keys;
}
