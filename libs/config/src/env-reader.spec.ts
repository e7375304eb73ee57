import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import { loadApiConfig, loadAuthServerConfig } from './app.config.js';

describe('EnvReader', () => {
  it('names the variable when a port is not a number', () => {
    const read = new EnvReader({ API_PORT: 'abc' });
    expect(() => read.port('API_PORT', 3000)).toThrow(new ConfigError('API_PORT', 'must be a whole number (got "abc")'));
  });

  it('refuses a database URL of another scheme', () => {
    const read = new EnvReader({ DATABASE_URL: 'mysql://x' });
    expect(() => read.url('DATABASE_URL', undefined, ['postgres:'])).toThrow('DATABASE_URL must use postgres:');
  });

  it('does not echo a malformed key', () => {
    const read = new EnvReader({ SECRETS_KEY: 'c2hvcnQ=' });
    expect(() => read.key('SECRETS_KEY', 32)).toThrow('SECRETS_KEY must be 32 bytes, base64-encoded');
  });

  it('reads a key only from plain, padded base64: nothing dropped, nothing added', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(new EnvReader({ K: key }).key('K', 32)).toEqual(Buffer.alloc(32, 7));
    for (const value of [`${key}!!!!`, key.slice(0, -1), `${key.slice(0, 10)} ${key.slice(10)}`, key.replace('H', '-')]) {
      expect(() => new EnvReader({ K: value }).key('K', 32), value).toThrow('K must be 32 bytes, base64-encoded');
    }
  });
});

describe('loadApiConfig', () => {
  it('reads defaults in sandbox mode', () => {
    const config = loadApiConfig({ DATABASE_URL: 'postgres://localhost/x' });
    expect(config).toMatchObject({ mode: 'sandbox', port: 3000, bodyLimit: 1048576, redisUrl: 'redis://127.0.0.1:6379' });
  });

  it('never allows more than 5 failed logins before a lockout (PSD2 RTS Art. 4(3)(b))', () => {
    expect(() => loadApiConfig({ DATABASE_URL: 'postgres://h/x', LOGIN_MAX_FAILURES: '6' })).toThrow('LOGIN_MAX_FAILURES must be at most 5');
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x', LOGIN_LOCKOUT_SECONDS: '3600' })).toMatchObject({ loginMaxFailures: 5, loginLockoutSeconds: 3600 });
  });

  it('locks for 30 minutes by default and never for less (PCI DSS 8.3.4)', () => {
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x' })).toMatchObject({ loginLockoutSeconds: 1800, loginIpMaxFailures: 20, loginIpWindowSeconds: 900 });
    expect(() => loadApiConfig({ DATABASE_URL: 'postgres://h/x', LOGIN_LOCKOUT_SECONDS: '1799' })).toThrow('LOGIN_LOCKOUT_SECONDS must be at least 1800');
  });

  it('caps concurrent password hashes at the thread pool size minus 2, at least 1', () => {
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x' }).passwordHashConcurrency).toBe(2);
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x', UV_THREADPOOL_SIZE: '16' }).passwordHashConcurrency).toBe(14);
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x', UV_THREADPOOL_SIZE: '2' }).passwordHashConcurrency).toBe(1);
  });

  it('requires DATABASE_URL', () => {
    expect(() => loadApiConfig({})).toThrow('DATABASE_URL is required but not set');
  });

  it('signs messages with generated keys and the sandbox trust anchor in the sandbox, managed ones in production', () => {
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x' })).toMatchObject({ messageSigningIssuer: 'consentry-sandbox-aspsp', messageSigningTrustAnchor: 'sandbox.consentry.local' });
    expect(loadApiConfig({ DATABASE_URL: 'postgres://h/x' }).messageSigningJwksFile).toBeUndefined();
    const production = {
      CONSENTRY_MODE: 'production',
      DATABASE_URL: 'postgres://h/x',
      SECRETS_KEY: createHash('sha256').update('env reader spec').digest('base64'),
      API_URL: 'https://api.bank.example',
      AUTH_SERVER_URL: 'https://auth.bank.example',
      ADMIN_ALLOWED_CIDRS: '10.0.0.0/8',
    };
    expect(() => loadApiConfig(production)).toThrow('MESSAGE_SIGNING_JWKS_FILE is required in production mode');
    expect(() => loadApiConfig({ ...production, MESSAGE_SIGNING_JWKS_FILE: '/keys.json' })).toThrow('MESSAGE_SIGNING_ISS is required in production mode');
    Object.assign(production, { RISK_RULES_FILE: '/etc/consentry/risk/rules.yaml', RISK_DENY_LIST_FILE: '/etc/consentry/risk/deny-list.json' });
    expect(loadApiConfig({ ...production, MESSAGE_SIGNING_JWKS_FILE: '/keys.json', MESSAGE_SIGNING_ISS: 'bank-org' })).toMatchObject({
      messageSigningJwksFile: '/keys.json',
      messageSigningIssuer: 'bank-org',
      messageSigningTrustAnchor: 'openbanking.org.uk',
    });
  });

  it('requires SECRETS_KEY in production', () => {
    expect(() => loadApiConfig({ CONSENTRY_MODE: 'production', DATABASE_URL: 'postgres://h/x' })).toThrow(
      'SECRETS_KEY is required in production mode',
    );
  });
});

describe('loadAuthServerConfig', () => {
  const base = { DATABASE_URL: 'postgres://localhost/x' };

  it('reads the onboarding, introspection-client and login defaults', () => {
    const config = loadAuthServerConfig(base);
    expect(config).toMatchObject({
      port: 3001,
      accessTokenTtl: 300,
      apiClientId: 'consentry-api',
      loginIpMaxFailures: 20,
      loginIpWindowSeconds: 900,
      interactionIdleSeconds: 300,
      tppCacheSeconds: 30,
      oauthRateLimitPerClient: 600,
      oauthRateLimitPerIp: 1200,
      ssaMaxAgeDays: 30,
    });
    expect(config.softwareStatementJwksFile).toBeUndefined();
    expect(config.softwareStatementIssuer).toBeUndefined();
    expect(config.apiClientJwksFile).toBeUndefined();
  });

  it('reads every auth-server variable when set', () => {
    const config = loadAuthServerConfig({
      ...base,
      SOFTWARE_STATEMENT_JWKS_FILE: '/etc/consentry/directory.jwks.json',
      SOFTWARE_STATEMENT_ISSUER: 'https://directory.example',
      API_CLIENT_JWKS_FILE: '/etc/consentry/api-client.jwks.json',
      API_CLIENT_ID: 'bank-api',
      LOGIN_IP_MAX_FAILURES: '7',
      LOGIN_IP_WINDOW_SECONDS: '60',
      INTERACTION_IDLE_SECONDS: '120',
      TPP_CACHE_SECONDS: '0',
      OAUTH_RATE_LIMIT_PER_CLIENT: '60',
      OAUTH_RATE_LIMIT_PER_IP: '120',
      SSA_MAX_AGE_DAYS: '7',
    });
    expect(config).toMatchObject({
      softwareStatementJwksFile: '/etc/consentry/directory.jwks.json',
      softwareStatementIssuer: 'https://directory.example',
      apiClientJwksFile: '/etc/consentry/api-client.jwks.json',
      apiClientId: 'bank-api',
      loginIpMaxFailures: 7,
      loginIpWindowSeconds: 60,
      interactionIdleSeconds: 120,
      tppCacheSeconds: 0,
      oauthRateLimitPerClient: 60,
      oauthRateLimitPerIp: 120,
      ssaMaxAgeDays: 7,
    });
  });

  it('refuses an inactivity limit above the 5 minutes of PSD2 RTS Art. 4(3)(d)', () => {
    expect(() => loadAuthServerConfig({ ...base, INTERACTION_IDLE_SECONDS: '301' })).toThrow(new ConfigError('INTERACTION_IDLE_SECONDS', 'must be at most 300'));
  });

  it('refuses a login limit that is not a positive whole number', () => {
    expect(() => loadAuthServerConfig({ ...base, LOGIN_IP_MAX_FAILURES: '0' })).toThrow(new ConfigError('LOGIN_IP_MAX_FAILURES', 'must be at least 1'));
    expect(() => loadAuthServerConfig({ ...base, LOGIN_IP_WINDOW_SECONDS: 'soon' })).toThrow(new ConfigError('LOGIN_IP_WINDOW_SECONDS', 'must be a whole number (got "soon")'));
  });

  it('refuses a software statement age that is not 1-365 days', () => {
    expect(() => loadAuthServerConfig({ ...base, SSA_MAX_AGE_DAYS: '0' })).toThrow(new ConfigError('SSA_MAX_AGE_DAYS', 'must be at least 1'));
    expect(() => loadAuthServerConfig({ ...base, SSA_MAX_AGE_DAYS: '366' })).toThrow(new ConfigError('SSA_MAX_AGE_DAYS', 'must be at most 365'));
  });

  it('refuses a TPP cache longer than 300 s', () => {
    expect(() => loadAuthServerConfig({ ...base, TPP_CACHE_SECONDS: '301' })).toThrow(new ConfigError('TPP_CACHE_SECONDS', 'must be at most 300'));
  });

  it('refuses a pinned statement issuer without the directory keys', () => {
    expect(() => loadAuthServerConfig({ ...base, SOFTWARE_STATEMENT_ISSUER: 'https://directory.example' })).toThrow(
      new ConfigError('SOFTWARE_STATEMENT_ISSUER', "needs SOFTWARE_STATEMENT_JWKS_FILE (the directory's public keys)"),
    );
  });

  it('refuses a cookie key shorter than 32 characters wherever it is in the list, in every mode, without quoting it', () => {
    const good = 'k7Qx2Lw9Pz4Rm1Tn8Vb3Yc6Hd5Jf0GsA';
    for (const mode of ['sandbox', 'production']) {
      const env = { ...base, CONSENTRY_MODE: mode, SECRETS_KEY: createHash('sha256').update('cookie spec').digest('base64'), API_URL: 'https://a.bank.example', AUTH_SERVER_URL: 'https://b.bank.example' };
      const attempt = () => loadAuthServerConfig({ ...env, COOKIE_KEYS: `${good},short-old-key` });
      expect(attempt, mode).toThrow(new ConfigError('COOKIE_KEYS', 'key 2 must be at least 32 characters long (every key, not only the first)'));
      expect(attempt, mode).not.toThrow('short-old-key');
      expect(loadAuthServerConfig({ ...env, COOKIE_KEYS: ` ${good} , ${good}x ` }).cookieKeys, mode).toEqual([good, `${good}x`]);
    }
  });

  it('refuses the REPLACE-ME cookie key of deploy/kubernetes/secrets.yaml in production, and takes it in the sandbox', () => {
    const placeholder = 'REPLACE-ME-with-a-random-key-of-at-least-32-characters';
    const production = { ...base, CONSENTRY_MODE: 'production', SECRETS_KEY: createHash('sha256').update('cookie spec').digest('base64'), API_URL: 'https://a.bank.example', AUTH_SERVER_URL: 'https://b.bank.example' };
    const attempt = () => loadAuthServerConfig({ ...production, COOKIE_KEYS: `n7Qx2Lw9Pz4Rm1Tn8Vb3Yc6Hd5Jf0GsAeKu,${placeholder}` });
    expect(attempt).toThrow(
      new ConfigError('COOKIE_KEYS', 'key 2 is the REPLACE-ME placeholder of deploy/kubernetes/secrets.yaml: replace it with a random key (`openssl rand -base64 48`)'),
    );
    expect(attempt).not.toThrow(placeholder);
    expect(loadAuthServerConfig({ ...base, COOKIE_KEYS: placeholder }).cookieKeys).toEqual([placeholder]);
  });

  it('refuses in production a cookie key that is not random (fewer than 16 distinct characters), and takes it in the sandbox', () => {
    const production = { ...base, CONSENTRY_MODE: 'production', SECRETS_KEY: createHash('sha256').update('cookie spec').digest('base64'), API_URL: 'https://a.bank.example', AUTH_SERVER_URL: 'https://b.bank.example' };
    // Until 7 December 2026 production took 32 times "a".
    for (const weak of ['a'.repeat(32), 'abcdefghijklmno'.repeat(3)]) {
      expect(() => loadAuthServerConfig({ ...production, COOKIE_KEYS: `n7Qx2Lw9Pz4Rm1Tn8Vb3Yc6Hd5Jf0GsAeKu,${weak}` })).toThrow(
        new ConfigError('COOKIE_KEYS', 'key 2 is not random (fewer than 16 distinct characters): generate one with `openssl rand -base64 48`'),
      );
      expect(loadAuthServerConfig({ ...base, COOKIE_KEYS: weak }).cookieKeys).toEqual([weak]);
    }
    expect(loadAuthServerConfig({ ...production, COOKIE_KEYS: 'abcdefghijklmnop'.repeat(2) }).cookieKeys).toHaveLength(1);
  });

  it('refuses an API client id with characters a client_id cannot carry', () => {
    expect(() => loadAuthServerConfig({ ...base, API_CLIENT_ID: 'bank api' })).toThrow(
      new ConfigError('API_CLIENT_ID', 'must be 1-200 characters of A-Z, a-z, 0-9, ".", "_", "~" or "-"'),
    );
  });
});
