import { describe, expect, it } from 'vitest';

import { loadWorkerConfig } from './app.config.js';
import { loadPlatformConfig } from './platform.config.js';

const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/consentry' };

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
