import { describe, expect, it } from 'vitest';

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
