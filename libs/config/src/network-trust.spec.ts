import { describe, expect, it } from 'vitest';

import { loadApiConfig, loadAuthServerConfig } from './app.config.js';
import { ConfigError } from './config.error.js';
import { clientAddress, parseAddressRanges, parseTrustProxy, trustedProxyPredicate } from './network-trust.js';

const BASE = { DATABASE_URL: 'postgres://localhost/x' };

describe('TRUST_PROXY', () => {
  it('trusts no proxy by default', () => {
    expect(parseTrustProxy('TRUST_PROXY', undefined)).toEqual({ kind: 'hops', hops: 0 });
    expect(trustedProxyPredicate({ kind: 'hops', hops: 0 })).toBeUndefined();
  });

  it('takes a hop count or CIDR ranges', () => {
    expect(parseTrustProxy('TRUST_PROXY', '2')).toEqual({ kind: 'hops', hops: 2 });
    expect(parseTrustProxy('TRUST_PROXY', '10.0.0.0/8, fd00::/8')).toEqual({ kind: 'cidrs', cidrs: ['10.0.0.0/8', 'fd00::/8'] });
  });

  it.each(['true', 'false', 'yes', '10.0.0.1', 'proxy.internal/8', '10.0.0.0/33', '11', '::1/129', ','])('refuses "%s" with one line naming the variable', (value) => {
    expect(() => loadAuthServerConfig({ ...BASE, TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadApiConfig({ ...BASE, TRUST_PROXY: value })).toThrow(/TRUST_PROXY/);
  });

  it('finds the client by walking X-Forwarded-For only through trusted proxies', () => {
    const loopbackProxy = trustedProxyPredicate({ kind: 'cidrs', cidrs: ['127.0.0.0/8'] });
    expect(clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.9', loopbackProxy)).toBe('203.0.113.9');
    expect(clientAddress('192.0.2.1', '198.51.100.1', loopbackProxy)).toBe('192.0.2.1');
    expect(clientAddress('127.0.0.1', '198.51.100.1', undefined)).toBe('127.0.0.1');
    const oneHop = trustedProxyPredicate({ kind: 'hops', hops: 1 });
    expect(clientAddress('127.0.0.1', '10.0.0.1, 203.0.113.9', oneHop)).toBe('203.0.113.9');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.9', loopbackProxy)).toBe('203.0.113.9');
  });
});

describe('ADMIN_ALLOWED_CIDRS', () => {
  it('defaults to loopback and private ranges in the sandbox', () => {
    const ranges = parseAddressRanges('ADMIN_ALLOWED_CIDRS', loadApiConfig(BASE).adminAllowedCidrs.join(','));
    for (const inside of ['127.0.0.1', '::1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '::ffff:127.0.0.1', 'fd12::1']) expect(ranges.includes(inside)).toBe(true);
    for (const outside of ['203.0.113.9', '8.8.8.8', '2001:db8::1', 'not-an-ip']) expect(ranges.includes(outside)).toBe(false);
  });

  it('is required in production', () => {
    expect(() => loadApiConfig({ ...BASE, CONSENTRY_MODE: 'production', SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') })).toThrow(/ADMIN_ALLOWED_CIDRS/);
  });

  it('keeps the docs off in production unless DOCS_ENABLED', () => {
    const production = { ...BASE, CONSENTRY_MODE: 'production', SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), ADMIN_ALLOWED_CIDRS: '10.0.0.0/8', MESSAGE_SIGNING_JWKS_FILE: '/etc/consentry/message-signing.json', MESSAGE_SIGNING_ISS: 'bank-org' };
    expect(loadApiConfig(production).docsEnabled).toBe(false);
    expect(loadApiConfig({ ...production, DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
    expect(loadApiConfig(BASE).docsEnabled).toBe(true);
  });
});
