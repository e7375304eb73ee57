import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts customer secrets at rest (TOTP seeds, card numbers). `context` is bound as additional data,
 * so a ciphertext copied into another column or row does not decrypt. A KMS/HSM implementation can
 * replace the environment keys without touching callers.
 */
export interface KeyManagement {
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
}

/** One key of the ring and the id its ciphertexts carry (structurally @consentry/config's SecretsKey). */
export interface KeyringEntry {
  kid: string;
  key: Buffer;
}

/** The id a lone key gets (SECRETS_KEY), as in @consentry/config. */
const SINGLE_KEY_ID = 'default';

/**
 * AES-256-GCM with keys from configuration (SECRETS_KEYS, or SECRETS_KEY alone). Writes
 * `v2.<kid>.<iv>.<tag>.<body>` under the first key; reads v2 by its key id, and the `v1.<iv>.<tag>.<body>`
 * of before key ids with whichever configured key authenticates it (GCM's tag tells the right one).
 */
export class EnvironmentKeyManagement implements KeyManagement {
  private readonly ring: readonly KeyringEntry[];
  private readonly byKid: ReadonlyMap<string, Buffer>;

  /** `keys`: the ring, first the one that encrypts; a lone Buffer is a ring of one, id `default`. */
  constructor(keys: Buffer | readonly KeyringEntry[]) {
    this.ring = Buffer.isBuffer(keys) ? [{ kid: SINGLE_KEY_ID, key: keys }] : [...keys];
    if (this.ring.length === 0) throw new Error('EnvironmentKeyManagement needs at least one key');
    for (const { kid, key } of this.ring) {
      if (key.length !== 32) throw new Error(`EnvironmentKeyManagement needs 32-byte keys (key ${kid})`);
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new Error(`EnvironmentKeyManagement: key id "${kid}" is not 1-32 characters of A-Z, a-z, 0-9, _ or -`);
    }
    this.byKid = new Map(this.ring.map(({ kid, key }) => [kid, key]));
    if (this.byKid.size !== this.ring.length) throw new Error('EnvironmentKeyManagement: a key id is listed twice');
  }

  /** The id of the key new ciphertexts are written under. */
  get writeKeyId(): string {
    return this.ring[0]!.kid;
  }

  /** Whether `ciphertext` is already under the write key (the prefix a rotation looks for). */
  get currentPrefix(): string {
    return `v2.${this.writeKeyId}.`;
  }

  encrypt(plaintext: string, context: string): string {
    const { kid, key } = this.ring[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v2', kid, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(ciphertext: string, context: string): string {
    const parts = ciphertext.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const [, kid, iv, tag, body] = parts as [string, string, string, string, string];
      const key = this.byKid.get(kid);
      // The id is ours, not a secret: say which key to configure.
      if (!key) throw new Error(`no configured key has the id "${kid}"`);
      return open(key, iv, tag, body, context);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      const [, iv, tag, body] = parts as [string, string, string, string];
      for (const { key } of this.ring) {
        try {
          return open(key, iv, tag, body, context);
        } catch {
          // not this key: GCM's tag did not authenticate; try the next
        }
      }
      throw new Error('no configured key decrypts this v1 ciphertext');
    }
    throw new Error('unrecognised ciphertext');
  }
}

// GCM's whole 16-byte tag, as written: a shorter one would be taken by Node (4 bytes is 1 in 2^32 for a
// forger) unless the length is fixed (until 7 December 2026 it was not).
const GCM_TAG_BYTES = 16;

function open(key: Buffer, iv: string, tag: string, body: string, context: string): string {
  const authTag = Buffer.from(tag, 'base64url');
  if (authTag.length !== GCM_TAG_BYTES) throw new Error('the ciphertext\'s authentication tag is not 16 bytes');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(authTag);
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}
