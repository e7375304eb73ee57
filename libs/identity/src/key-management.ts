import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts customer secrets at rest (TOTP seeds, card numbers). `context` is bound as additional data,
 * so a ciphertext copied into another column or row does not decrypt. A KMS/HSM implementation can
 * replace the environment key without touching callers.
 */
export interface KeyManagement {
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
}

const FORMAT = 'v1';

/** AES-256-GCM with a key from configuration (SECRETS_KEY). */
export class EnvironmentKeyManagement implements KeyManagement {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('EnvironmentKeyManagement needs a 32-byte key');
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(ciphertext: string, context: string): string {
    const [format, iv, tag, body] = ciphertext.split('.');
    if (format !== FORMAT || !iv || !tag || body === undefined) throw new Error('unrecognised ciphertext');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
