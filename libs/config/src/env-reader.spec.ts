import { describe, expect, it } from 'vitest';

import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import { loadApiConfig } from './app.config.js';

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
});

describe('loadApiConfig', () => {
  it('reads defaults in sandbox mode', () => {
    const config = loadApiConfig({ DATABASE_URL: 'postgres://localhost/x' });
    expect(config).toMatchObject({ mode: 'sandbox', port: 3000, bodyLimit: 1048576, redisUrl: 'redis://127.0.0.1:6379' });
  });

  it('requires DATABASE_URL', () => {
    expect(() => loadApiConfig({})).toThrow('DATABASE_URL is required but not set');
  });

  it('requires SECRETS_KEY in production', () => {
    expect(() => loadApiConfig({ CONSENTRY_MODE: 'production', DATABASE_URL: 'postgres://h/x' })).toThrow(
      'SECRETS_KEY is required in production mode',
    );
  });
});
