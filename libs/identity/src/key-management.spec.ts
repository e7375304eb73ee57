import { createCipheriv, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { EnvironmentKeyManagement } from './key-management.js';

const A = Buffer.alloc(32, 0xa1);
const B = Buffer.alloc(32, 0xb2);

/** The format written before key ids (`v1.<iv>.<tag>.<body>`), as data at rest still holds it. */
function legacyV1(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

describe('EnvironmentKeyManagement with key ids', () => {
  it('writes v2.<kid>.<iv>.<tag>.<body> under the first key of the ring', () => {
    const keys = new EnvironmentKeyManagement([{ kid: 'k2026', key: B }, { kid: 'default', key: A }]);
    const sealed = keys.encrypt('4111111111111111', 'account:a1:pan');
    expect(sealed).toMatch(/^v2\.k2026\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(keys.writeKeyId).toBe('k2026');
    expect(keys.decrypt(sealed, 'account:a1:pan')).toBe('4111111111111111');
    // Under B only: the ring of B alone reads it, the ring of A alone cannot.
    expect(new EnvironmentKeyManagement([{ kid: 'k2026', key: B }]).decrypt(sealed, 'account:a1:pan')).toBe('4111111111111111');
    expect(() => new EnvironmentKeyManagement(A).decrypt(sealed, 'account:a1:pan')).toThrow('no configured key has the id "k2026"');
  });

  it('refuses a ciphertext whose authentication tag was cut short, which GCM would check on its first bytes only', () => {
    const keys = new EnvironmentKeyManagement([{ kid: 'k2026', key: B }]);
    const [version, kid, iv, tag, body] = keys.encrypt('JBSWY3DPEHPK3PXP', 'psu:p1:totp').split('.');
    const short = [version, kid, iv, Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url'), body].join('.');
    // Until 7 December 2026 it decrypted: a forger had 1 chance in 2^32 a try, not 2^128.
    expect(() => keys.decrypt(short, 'psu:p1:totp')).toThrow();
    expect(keys.decrypt([version, kid, iv, tag, body].join('.'), 'psu:p1:totp')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('reads every key of the ring by its id, and a lone key is id `default`', () => {
    const old = new EnvironmentKeyManagement(A).encrypt('JBSWY3DPEHPK3PXP', 'psu:1:totp');
    expect(old.startsWith('v2.default.')).toBe(true);
    const ring = new EnvironmentKeyManagement([{ kid: 'next', key: B }, { kid: 'default', key: A }]);
    expect(ring.decrypt(old, 'psu:1:totp')).toBe('JBSWY3DPEHPK3PXP');
    // The id picks the key: the same id on another key does not authenticate.
    expect(() => new EnvironmentKeyManagement([{ kid: 'default', key: B }]).decrypt(old, 'psu:1:totp')).toThrow();
  });

  it('still reads v1 ciphertexts, with whichever configured key they were written under', () => {
    const v1 = legacyV1(A, 'JBSWY3DPEHPK3PXP', 'psu:1:totp');
    expect(new EnvironmentKeyManagement(A).decrypt(v1, 'psu:1:totp')).toBe('JBSWY3DPEHPK3PXP');
    expect(new EnvironmentKeyManagement([{ kid: 'next', key: B }, { kid: 'old', key: A }]).decrypt(v1, 'psu:1:totp')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => new EnvironmentKeyManagement(B).decrypt(v1, 'psu:1:totp')).toThrow('no configured key decrypts this v1 ciphertext');
    // The context still binds: a v1 value copied to another row does not decrypt.
    expect(() => new EnvironmentKeyManagement(A).decrypt(v1, 'psu:2:totp')).toThrow('no configured key decrypts this v1 ciphertext');
  });

  it('refuses malformed ciphertexts and rings', () => {
    const keys = new EnvironmentKeyManagement(A);
    for (const bad of ['', 'v3.x.y.z', 'v2.default.a.b', 'v1.a.b', 'plain text']) expect(() => keys.decrypt(bad, 'c')).toThrow();
    expect(() => new EnvironmentKeyManagement([])).toThrow('needs at least one key');
    expect(() => new EnvironmentKeyManagement([{ kid: 'a.b', key: A }])).toThrow('key id "a.b"');
    expect(() => new EnvironmentKeyManagement([{ kid: 'a', key: A }, { kid: 'a', key: B }])).toThrow('listed twice');
    expect(() => new EnvironmentKeyManagement([{ kid: 'a', key: Buffer.alloc(16) }])).toThrow('32-byte keys');
  });
});
