import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { loadApiConfig } from './app.config.js';
import { loadPlatformConfig } from './platform.config.js';

// Keys that look random (SHA-256 outputs: about 30 distinct byte values), as production wants them.
const A = createHash('sha256').update('secrets key a').digest('base64');
const B = createHash('sha256').update('secrets key b').digest('base64');
const SANDBOX = Buffer.alloc(32, 0x5a).toString('base64');
const ZEROS = Buffer.alloc(32).toString('base64');
// deploy/kubernetes/secrets.yaml's stand-in: base64 of "REPLACE-ME-WITH-32-RANDOM-BYTES!".
const PLACEHOLDER = 'UkVQTEFDRS1NRS1XSVRILTMyLVJBTkRPTS1CWVRFUyE=';
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

  // Node's decoder drops what is not base64 and stops at junk: each of these decoded to 32 bytes and was taken.
  it.each([
    ['junk after the padding', `${A}!!!!`],
    ['junk inside', `${A.slice(0, 20)}!${A.slice(20)}`],
    ['no padding', A.slice(0, -1)],
    ['base64url letters', A.replace(/\+/g, '-').replace(/\//g, '_').replace(/^[A-Za-z0-9]/, '-')],
    ['a second padded value after the key', `${A}AA==`],
  ])('refuses a key that is not plain base64 (%s) in every mode, without echoing it', (_case, key) => {
    for (const mode of ['sandbox', 'production']) {
      const attempt = () => loadPlatformConfig({ ...base, CONSENTRY_MODE: mode, SECRETS_KEYS: `k1:${key}` });
      expect(attempt).toThrow('SECRETS_KEYS entry 1 (k1) must be 32 bytes, base64-encoded');
      expect(attempt).not.toThrow(key);
    }
    expect(() => loadPlatformConfig({ ...base, SECRETS_KEY: key })).toThrow('SECRETS_KEY must be 32 bytes, base64-encoded');
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
    const production = {
      ...base,
      CONSENTRY_MODE: 'production',
      API_URL: 'https://api.bank.example',
      AUTH_SERVER_URL: 'https://auth.bank.example',
      ADMIN_ALLOWED_CIDRS: '10.0.0.0/8',
      MESSAGE_SIGNING_JWKS_FILE: '/etc/consentry/message-signing.json',
      MESSAGE_SIGNING_ISS: 'bank-org',
      RISK_RULES_FILE: '/etc/consentry/risk/rules.yaml',
      RISK_DENY_LIST_FILE: '/etc/consentry/risk/deny-list.json',
    };

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

    it('refuses the REPLACE-ME stand-in of deploy/kubernetes/secrets.yaml, saying to replace it and never quoting it', () => {
      const attempt = () => loadApiConfig({ ...production, SECRETS_KEYS: `k1:${PLACEHOLDER}` });
      expect(attempt).toThrow(
        'SECRETS_KEYS entry 1 (k1) is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml: replace it with 32 random bytes (`openssl rand -base64 32`)',
      );
      expect(attempt).not.toThrow(PLACEHOLDER);
      expect(() => loadApiConfig({ ...production, SECRETS_KEY: PLACEHOLDER })).toThrow('SECRETS_KEY is the REPLACE-ME placeholder');
      // The sandbox takes any well-formed key.
      expect(loadApiConfig({ ...base, SECRETS_KEYS: `k1:${PLACEHOLDER}` }).secretsKeys).toHaveLength(1);
    });

    it('refuses a key that is text rather than random bytes', () => {
      const text = Buffer.from('my-very-secret-passphrase-32-ch!').toString('base64');
      expect(() => loadApiConfig({ ...production, SECRETS_KEYS: `k1:${A},k0:${text}` })).toThrow(
        'SECRETS_KEYS entry 2 (k0) is printable text, not 32 random bytes: generate a key with `openssl rand -base64 32`',
      );
    });

    it.each([
      ['32 zero bytes', ZEROS],
      ['one byte repeated', Buffer.alloc(32, 0xa1).toString('base64')],
      ['a short pattern repeated', Buffer.from(Array.from({ length: 32 }, (_, i) => (i % 15) * 8 + 128)).toString('base64')],
    ])('refuses a key whose bytes are plainly not random (%s), under either variable', (_case, key) => {
      expect(() => loadApiConfig({ ...production, SECRETS_KEYS: `k1:${key}` })).toThrow(
        'SECRETS_KEYS entry 1 (k1) is not random (fewer than 16 distinct byte values in 32): generate a key with `openssl rand -base64 32`',
      );
      expect(() => loadApiConfig({ ...production, SECRETS_KEY: key })).toThrow('SECRETS_KEY is not random');
      expect(loadApiConfig({ ...base, SECRETS_KEYS: `k1:${key}` }).secretsKeys).toHaveLength(1);
    });

    it('accepts 16 distinct byte values and more', () => {
      const sixteen = Buffer.from(Array.from({ length: 32 }, (_, i) => (i % 16) * 8 + 129)).toString('base64');
      expect(loadApiConfig({ ...production, SECRETS_KEYS: `k1:${sixteen}` }).secretsKeys).toHaveLength(1);
    });

    it('refuses one key under two ids', () => {
      const attempt = () => loadApiConfig({ ...production, SECRETS_KEYS: `k1:${A},k2:${B},k1b:${A}` });
      expect(attempt).toThrow('SECRETS_KEYS entries 1 (k1) and 3 (k1b) hold the same key: each id needs a key of its own');
      expect(attempt).not.toThrow(A);
      expect(loadApiConfig({ ...base, SECRETS_KEYS: `k1:${A},k1b:${A}` }).secretsKeys).toHaveLength(2);
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
