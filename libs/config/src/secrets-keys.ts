import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import { isPlaceholder } from './secret-placeholders.js';

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

// What `openssl rand -base64 32` prints: 43 characters of the standard alphabet and one "=". Node's decoder
// skips what is not base64 and stops at junk, so a mistyped or truncated value used to decode to some other
// 32 bytes, silently.
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

// A random 32-byte key holds about 30 distinct byte values. Fewer than 16 happens by chance with
// probability 3.2e-17 (occupancy of 32 draws over 256 values), so a key under it was typed or built, not
// drawn: 32 zero bytes, one byte repeated, a short pattern.
const MIN_DISTINCT_BYTES = 16;
// All 32 bytes printable ASCII happens by chance with probability (95/256)^32 = 1.7e-14: such a key is a
// passphrase or a template's text.
const PRINTABLE = /^[\x20-\x7e]*$/;

const GENERATE = 'generate a key with `openssl rand -base64 32`';

/** A key as read, with where it stood in SECRETS_KEYS (`2 (k1)`), for messages; empty for SECRETS_KEY. */
type RingEntry = SecretsKey & { entry: string };

function decode(name: string, value: string, position: string): Buffer {
  const key = Buffer.from(value, 'base64');
  // Never echo the value: it is the key. The round trip refuses an encoding with stray low bits.
  if (!BASE64_32_BYTES.test(value) || key.toString('base64') !== value) {
    throw new ConfigError(name, `${position}must be 32 bytes, base64-encoded (44 characters ending in "=", as \`openssl rand -base64 32\` prints)`);
  }
  return key;
}

/**
 * Production's checks of a ring, in this order so that each key gets the most specific reason: the sandbox
 * key, a template's stand-in, text instead of random bytes, too few distinct bytes, one key under two ids.
 */
function refuseWeakKeys(name: string, keys: RingEntry[]): void {
  if (keys.some(({ key }) => key.equals(SANDBOX_SECRETS_KEY))) {
    throw new ConfigError(name, 'holds the well-known sandbox key, refused in production mode');
  }
  for (const { key, entry } of keys) {
    const position = entry ? `entry ${entry} ` : '';
    const text = key.toString('latin1');
    if (isPlaceholder(text)) {
      throw new ConfigError(name, `${position}is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml: replace it with 32 random bytes (\`openssl rand -base64 32\`)`);
    }
    if (PRINTABLE.test(text)) throw new ConfigError(name, `${position}is printable text, not 32 random bytes: ${GENERATE}`);
    if (new Set(key).size < MIN_DISTINCT_BYTES) {
      throw new ConfigError(name, `${position}is not random (fewer than ${MIN_DISTINCT_BYTES} distinct byte values in 32): ${GENERATE}`);
    }
  }
  // One key under two ids makes a rotation to the second id change nothing: the old key, perhaps the
  // leaked one, still decrypts everything written after it.
  keys.forEach((first, index) => {
    const again = keys.slice(index + 1).find(({ key }) => key.equals(first.key));
    if (again) throw new ConfigError(name, `entries ${first.entry} and ${again.entry} hold the same key: each id needs a key of its own`);
  });
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
  let keys: RingEntry[];
  if (list !== undefined) {
    keys = list.split(',').map((entry, index) => {
      const separator = entry.indexOf(':');
      const kid = entry.slice(0, separator).trim();
      if (separator < 0 || !KID.test(kid)) {
        throw new ConfigError('SECRETS_KEYS', `entry ${index + 1} must be kid:base64key, the kid 1-32 characters of A-Z, a-z, 0-9, "_" or "-"`);
      }
      const where = `${index + 1} (${kid})`;
      return { kid, key: decode('SECRETS_KEYS', entry.slice(separator + 1).trim(), `entry ${where} `), entry: where };
    });
    const seen = new Set<string>();
    for (const { kid } of keys) {
      if (seen.has(kid)) throw new ConfigError('SECRETS_KEYS', `names key id "${kid}" twice`);
      seen.add(kid);
    }
  } else if (single !== undefined) {
    keys = [{ kid: SINGLE_SECRETS_KEY_ID, key: decode('SECRETS_KEY', single, ''), entry: '' }];
  } else if (mode === 'sandbox') {
    keys = [{ kid: SINGLE_SECRETS_KEY_ID, key: SANDBOX_SECRETS_KEY, entry: '' }];
  } else {
    throw new ConfigError('SECRETS_KEY', 'is required in production mode (or SECRETS_KEYS)');
  }
  if (mode === 'production') refuseWeakKeys(list !== undefined ? 'SECRETS_KEYS' : 'SECRETS_KEY', keys);
  return keys.map(({ kid, key }) => ({ kid, key }));
}
