import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { loadApiConfig, loadWorkerConfig } from './app.config.js';
import { ConfigError } from './config.error.js';
import { loadPlatformConfig } from './platform.config.js';

const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/consentry' };
const PRODUCTION = {
  ...BASE,
  CONSENTRY_MODE: 'production',
  SECRETS_KEY: createHash('sha256').update('platform config spec').digest('base64'),
  API_URL: 'https://api.bank.example',
  AUTH_SERVER_URL: 'https://auth.bank.example',
};

describe('loadPlatformConfig: logs and metrics', () => {
  it('writes JSON lines and answers /metrics on loopback only by default', () => {
    const config = loadPlatformConfig(BASE);
    expect(config.logFormat).toBe('json');
    expect(config.metricsAllowedCidrs).toEqual(['127.0.0.0/8', '::1/128']);
  });

  it('reads LOG_FORMAT and METRICS_ALLOWED_CIDRS', () => {
    const config = loadPlatformConfig({ ...BASE, LOG_FORMAT: 'pretty', METRICS_ALLOWED_CIDRS: '10.0.0.0/8, fd00::/8' });
    expect(config.logFormat).toBe('pretty');
    expect(config.metricsAllowedCidrs).toEqual(['10.0.0.0/8', 'fd00::/8']);
  });

  it('refuses an unknown LOG_FORMAT and a METRICS_ALLOWED_CIDRS that is not CIDR ranges, naming the variable', () => {
    expect(() => loadPlatformConfig({ ...BASE, LOG_FORMAT: 'text' })).toThrow('LOG_FORMAT must be one of json, pretty (got "text")');
    expect(() => loadPlatformConfig({ ...BASE, METRICS_ALLOWED_CIDRS: 'prometheus.internal' })).toThrow(
      'METRICS_ALLOWED_CIDRS must list CIDR ranges such as 10.0.0.0/8 or fd00::/8 (got "prometheus.internal")',
    );
  });
});

describe('loadPlatformConfig: Redis Sentinel', () => {
  it('reads DATABASE_POOL_SIZE within 1 to 200: 10 for the HTTP apps and 5 for the worker by default', () => {
    expect(loadPlatformConfig({ DATABASE_URL: 'postgres://h/db' }).databasePoolSize).toBe(10);
    expect(loadPlatformConfig({ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_SIZE: '25' }).databasePoolSize).toBe(25);
    expect(loadWorkerConfig({ DATABASE_URL: 'postgres://h/db' }).databasePoolSize).toBe(5);
    expect(loadWorkerConfig({ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_SIZE: '8' }).databasePoolSize).toBe(8);
    expect(() => loadPlatformConfig({ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_SIZE: '0' })).toThrow(/DATABASE_POOL_SIZE/);
    expect(() => loadPlatformConfig({ DATABASE_URL: 'postgres://h/db', DATABASE_POOL_SIZE: '500' })).toThrow(/DATABASE_POOL_SIZE/);
  });

  it('reads REDIS_SENTINELS and REDIS_SENTINEL_NAME, and nothing without them', () => {
    expect(loadPlatformConfig(BASE).redisSentinels).toBeUndefined();
    const config = loadPlatformConfig({ ...BASE, REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.7:26380,[fd00::1]:26381', REDIS_SENTINEL_NAME: 'consentry' });
    expect(config.redisSentinels).toEqual({
      name: 'consentry',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '10.0.0.7', port: 26380 },
        { host: 'fd00::1', port: 26381 },
      ],
    });
  });

  it('refuses entries that are not host:port, and sentinels without the primary’s name', () => {
    expect(() => loadPlatformConfig({ ...BASE, REDIS_SENTINELS: 'sentinel-a', REDIS_SENTINEL_NAME: 'x' })).toThrow('REDIS_SENTINELS entries must look like host:port, comma separated');
    expect(() => loadPlatformConfig({ ...BASE, REDIS_SENTINELS: 'sentinel-a:70000', REDIS_SENTINEL_NAME: 'x' })).toThrow('REDIS_SENTINELS');
    expect(() => loadPlatformConfig({ ...BASE, REDIS_SENTINELS: 'sentinel-a:26379' })).toThrow('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS');
  });
});

describe('loadPlatformConfig: Redis Cluster and the key prefix', () => {
  it('prefixes every key with the {consentry} hash tag by default', () => {
    expect(loadPlatformConfig(BASE).redisPrefix).toBe('{consentry}');
  });

  it('reads REDIS_CLUSTER_NODES, and wants a hash tag in REDIS_PREFIX with it', () => {
    expect(loadPlatformConfig({ ...BASE, REDIS_CLUSTER_NODES: 'r1:7000,r2:7001' }).redisClusterNodes).toEqual([
      { host: 'r1', port: 7000 },
      { host: 'r2', port: 7001 },
    ]);
    expect(() => loadPlatformConfig({ ...BASE, REDIS_CLUSTER_NODES: 'r1:7000', REDIS_PREFIX: 'consentry' })).toThrow('REDIS_PREFIX must hold a hash tag such as {consentry}');
    expect(() => loadPlatformConfig({ ...BASE, REDIS_CLUSTER_NODES: 'r1', REDIS_PREFIX: '{x}' })).toThrow('REDIS_CLUSTER_NODES entries must look like host:port');
    expect(() => loadPlatformConfig({ ...BASE, REDIS_CLUSTER_NODES: 'r1:7000', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' })).toThrow('REDIS_CLUSTER_NODES and REDIS_SENTINELS cannot both be set');
  });
});

describe('loadPlatformConfig: the public URLs (API_URL, AUTH_SERVER_URL)', () => {
  const LOOPBACK_ONLY = 'plain http is for loopback hosts only (localhost, 127.0.0.0/8, ::1)';

  it('defaults to http://localhost in the sandbox, and takes any http or https URL there', () => {
    expect(loadPlatformConfig(BASE)).toMatchObject({ apiUrl: 'http://localhost:3000', authServerUrl: 'http://localhost:3001' });
    expect(loadPlatformConfig({ ...BASE, API_URL: 'http://api.example.com', AUTH_SERVER_URL: 'http://auth.example.com' })).toMatchObject({
      apiUrl: 'http://api.example.com',
      authServerUrl: 'http://auth.example.com',
    });
  });

  it('requires both in production: the localhost defaults would become the issuer and the token audience', () => {
    const { API_URL: _api, AUTH_SERVER_URL: _auth, ...unset } = PRODUCTION;
    expect(() => loadPlatformConfig({ ...unset, AUTH_SERVER_URL: 'https://auth.bank.example' })).toThrow(
      new ConfigError('API_URL', 'is required in production mode (the public https URL clients reach the app at)'),
    );
    expect(() => loadPlatformConfig({ ...unset, API_URL: 'https://api.bank.example' })).toThrow(
      new ConfigError('AUTH_SERVER_URL', 'is required in production mode (the public https URL clients reach the app at)'),
    );
    expect(() => loadWorkerConfig({ ...unset, ALERT_EMAIL: 'off', AUDIT_CHECKPOINT_INTERVAL_MS: '0' })).toThrow('API_URL is required in production mode');
  });

  it.each([
    ['API_URL', 'http://api.example.com', 'http://api.example.com'],
    ['AUTH_SERVER_URL', 'http://auth.example.com:8080/oidc', 'http://auth.example.com:8080'],
    // Credentials in a URL are never quoted back.
    ['API_URL', 'http://user:pass@api.example.com', 'http://api.example.com'],
    ['API_URL', 'http://127.example.com', 'http://127.example.com'],
    ['AUTH_SERVER_URL', 'http://localhost.example.com', 'http://localhost.example.com'],
  ])('refuses %s=%s in production, naming the variable', (name, value, shown) => {
    const attempt = () => loadPlatformConfig({ ...PRODUCTION, [name]: value });
    expect(attempt).toThrow(new ConfigError(name, `must be an https URL in production mode (got ${shown}): ${LOOPBACK_ONLY}`));
    expect(attempt).not.toThrow('pass');
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://127.8.9.10', 'http://[::1]:3001', 'https://api.bank.example'])('accepts %s in production', (value) => {
    expect(loadPlatformConfig({ ...PRODUCTION, API_URL: value, AUTH_SERVER_URL: value })).toMatchObject({ apiUrl: value, authServerUrl: value });
  });
});

describe('loadPlatformConfig: placeholders of deploy/kubernetes/secrets.yaml', () => {
  const REPLACE = 'holds a REPLACE-ME placeholder (deploy/kubernetes/secrets.yaml): replace it with the real value from your secret store';

  it.each([
    ['DATABASE_URL', 'postgres://consentry:REPLACE-ME@postgres.consentry.example:5432/consentry'],
    ['REDIS_URL', 'redis://:REPLACE-ME@redis.consentry.example:6379'],
    ['DATABASE_URL', 'postgres://consentry:change-me@db.bank.example/consentry'],
  ])('refuses %s with a stand-in password in production, without quoting it', (name, value) => {
    const attempt = () => loadPlatformConfig({ ...PRODUCTION, [name]: value });
    expect(attempt).toThrow(new ConfigError(name, REPLACE));
    expect(attempt).not.toThrow('consentry.example');
    expect(loadPlatformConfig({ ...BASE, [name]: value }).mode).toBe('sandbox');
  });

  it('refuses them in the read replica\'s, the maintenance role\'s and the bank connectors\' credentials too', () => {
    const api = { ...PRODUCTION, ADMIN_ALLOWED_CIDRS: '10.0.0.0/8', MESSAGE_SIGNING_JWKS_FILE: '/keys.json', MESSAGE_SIGNING_ISS: 'bank-org' };
    expect(() => loadApiConfig({ ...api, DATABASE_READ_URL: 'postgres://consentry:REPLACE-ME@replica/consentry' })).toThrow(new ConfigError('DATABASE_READ_URL', REPLACE));
    const worker = { ...PRODUCTION, ALERT_EMAIL: 'off', AUDIT_CHECKPOINT_INTERVAL_MS: '0' };
    expect(() => loadWorkerConfig({ ...worker, AUDIT_MAINTENANCE_DATABASE_URL: 'postgres://maint:REPLACE-ME@db/consentry' })).toThrow(
      new ConfigError('AUDIT_MAINTENANCE_DATABASE_URL', REPLACE),
    );
    expect(() => loadWorkerConfig({ ...worker, HTTP_BANK_CONNECTORS: 'northwind=https://nw.example/x#REPLACE-ME-0123456789' })).toThrow(new ConfigError('HTTP_BANK_CONNECTORS', REPLACE));
  });
});
