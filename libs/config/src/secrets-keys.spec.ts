import { describe, expect, it } from 'vitest';

import { loadApiConfig } from './app.config.js';
import { loadPlatformConfig } from './platform.config.js';

const A = Buffer.alloc(32, 0xa1).toString('base64');
const B = Buffer.alloc(32, 0xb2).toString('base64');
const SANDBOX = Buffer.alloc(32, 0x5a).toString('base64');
const base = { DATABASE_URL: 'postgres://h/x' };

describe('secrets keys (SECRETS_KEYS, SECRETS_KEY)', () => {
  it('reads SECRETS_KEYS as kid:base64key pairs, the first one writing', () => {
    const config = loadPlatformConfig({ ...base, SECRETS_KEYS: `k2026:${B}, default:${A}` });
    expect(config.secretsKeys).toEqual([
      { kid: 'k2026', key: Buffer.from(B, 'base64') },
      { kid: 'default', key: Buffer.from(A, 'base64') },
    ]);
    expect(config.secretsKey).toEqual(Buffer.from(B, 'base64'));
  });

  it('keeps SECRETS_KEY as one key with the id `default`, and the sandbox key when neither is set', () => {
    expect(loadPlatformConfig({ ...base, SECRETS_KEY: A }).secretsKeys).toEqual([{ kid: 'default', key: Buffer.from(A, 'base64') }]);
    expect(loadPlatformConfig(base).secretsKeys).toEqual([{ kid: 'default', key: Buffer.from(SANDBOX, 'base64') }]);
  });

  it.each([
    [{ SECRETS_KEYS: `a:${A}`, SECRETS_KEY: B }, "SECRETS_KEYS and SECRETS_KEY are both set: list every key in SECRETS_KEYS (SECRETS_KEY's as `default:<key>`) and unset SECRETS_KEY"],
    [{ SECRETS_KEYS: A }, 'SECRETS_KEYS entry 1 must be kid:base64key, the kid 1-32 characters of A-Z, a-z, 0-9, "_" or "-"'],
    [{ SECRETS_KEYS: `a:${A},b.c:${B}` }, 'SECRETS_KEYS entry 2 must be kid:base64key, the kid 1-32 characters of A-Z, a-z, 0-9, "_" or "-"'],
    [{ SECRETS_KEYS: `a:${A},b:c2hvcnQ=` }, 'SECRETS_KEYS entry 2 (b) must be 32 bytes, base64-encoded'],
    [{ SECRETS_KEYS: `a:${A},a:${B}` }, 'SECRETS_KEYS names key id "a" twice'],
    [{ SECRETS_KEY: 'c2hvcnQ=' }, 'SECRETS_KEY must be 32 bytes, base64-encoded'],
  ])('refuses %o', (env, message) => {
    expect(() => loadPlatformConfig({ ...base, ...env })).toThrow(message);
  });

  it('never echoes a key in its errors', () => {
    const short = Buffer.alloc(31, 0x42).toString('base64');
    try {
      loadPlatformConfig({ ...base, SECRETS_KEYS: `a:${A},b:${short}` });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
      expect((error as Error).message).not.toContain(A);
    }
  });

  describe('production mode', () => {
    const production = { ...base, CONSENTRY_MODE: 'production', ADMIN_ALLOWED_CIDRS: '10.0.0.0/8', MESSAGE_SIGNING_JWKS_FILE: '/etc/consentry/message-signing.json', MESSAGE_SIGNING_ISS: 'bank-org' };

    it('requires a key', () => {
      expect(() => loadApiConfig(production)).toThrow('SECRETS_KEY is required in production mode (or SECRETS_KEYS)');
      expect(loadApiConfig({ ...production, SECRETS_KEYS: `k1:${A}` }).secretsKeys).toHaveLength(1);
    });

    it('refuses the well-known sandbox key under either variable, wherever it is in the ring', () => {
      expect(() => loadApiConfig({ ...production, SECRETS_KEY: SANDBOX })).toThrow('SECRETS_KEY holds the well-known sandbox key, refused in production mode');
      expect(() => loadApiConfig({ ...production, SECRETS_KEYS: `new:${A},old:${SANDBOX}` })).toThrow(
        'SECRETS_KEYS holds the well-known sandbox key, refused in production mode',
      );
      // Sandbox mode keeps it.
      expect(loadApiConfig({ ...base, SECRETS_KEY: SANDBOX }).secretsKey).toEqual(Buffer.from(SANDBOX, 'base64'));
    });
  });
});

describe('TPP_RATE_LIMIT_PER_MINUTE', () => {
  it('defaults to 1200 and is bounded', () => {
    expect(loadApiConfig(base).tppRateLimitPerMinute).toBe(1200);
    expect(loadApiConfig({ ...base, TPP_RATE_LIMIT_PER_MINUTE: '10000000' }).tppRateLimitPerMinute).toBe(10_000_000);
    expect(() => loadApiConfig({ ...base, TPP_RATE_LIMIT_PER_MINUTE: '0' })).toThrow('TPP_RATE_LIMIT_PER_MINUTE must be at least 1');
    expect(() => loadApiConfig({ ...base, TPP_RATE_LIMIT_PER_MINUTE: '10000001' })).toThrow('TPP_RATE_LIMIT_PER_MINUTE must be at most 10000000');
  });
});
