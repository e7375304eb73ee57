import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { loadApiConfig, loadAuthServerConfig } from './app.config.js';
import { ConfigError } from './config.error.js';
import { clientAddress, parseAddressRanges, parseTrustProxy, trustedProxyPredicate } from './network-trust.js';

const BASE = { DATABASE_URL: 'postgres://localhost/x' };
const KEY = createHash('sha256').update('network trust spec').digest('base64');
const PRODUCTION = {
  ...BASE,
  CONSENTRY_MODE: 'production',
  SECRETS_KEY: KEY,
  API_URL: 'https://api.bank.example',
  AUTH_SERVER_URL: 'https://auth.bank.example',
  ADMIN_ALLOWED_CIDRS: '10.0.0.0/8',
  MESSAGE_SIGNING_JWKS_FILE: '/etc/consentry/message-signing.json',
  MESSAGE_SIGNING_ISS: 'bank-org',
  RISK_RULES_FILE: '/etc/consentry/risk/rules.yaml',
  RISK_DENY_LIST_FILE: '/etc/consentry/risk/deny-list.json',
};

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
    const { ADMIN_ALLOWED_CIDRS: _admin, ...withoutAdmin } = PRODUCTION;
    expect(() => loadApiConfig(withoutAdmin)).toThrow(/ADMIN_ALLOWED_CIDRS/);
  });

  it('keeps the docs off in production unless DOCS_ENABLED', () => {
    expect(loadApiConfig(PRODUCTION).docsEnabled).toBe(false);
    expect(loadApiConfig({ ...PRODUCTION, DOCS_ENABLED: 'true' }).docsEnabled).toBe(true);
    expect(loadApiConfig(BASE).docsEnabled).toBe(true);
  });
});

describe('production: no allow-list or trusted proxy range wider than an IPv4 /8 or an IPv6 /16', () => {
  const VARIABLES = ['ADMIN_ALLOWED_CIDRS', 'METRICS_ALLOWED_CIDRS', 'TRUST_PROXY'] as const;

  it.each([
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::/0', '::/0'],
    // Two halves make the whole.
    ['0.0.0.0/1, 128.0.0.0/1', '0.0.0.0/1'],
    // Every IPv4 client of a dual-stack socket, as IPv4-mapped IPv6 addresses.
    ['::ffff:0:0/96', '::ffff:0:0/96'],
    ['::ffff:0.0.0.0/97', '::ffff:0.0.0.0/97'],
    // An IPv6 range that holds the IPv4-mapped block holds every IPv4 client, however long its prefix looks.
    ['::/80', '::/80'],
    ['::/16', '::/16'],
    ['10.0.0.0/8, 8.0.0.0/7', '8.0.0.0/7'],
    ['2000::/3', '2000::/3'],
    ['fc00::/6', 'fc00::/6'],
  ])('refuses %s under each variable, naming it and the range', (value, range) => {
    for (const name of VARIABLES) {
      expect(() => loadApiConfig({ ...PRODUCTION, [name]: value }), name).toThrow(
        new ConfigError(name, `range ${range} is wider than production mode allows: an IPv4 range may be /8 at widest, an IPv6 range /16 (fc00::/7, the unique local addresses, as a whole), an IPv4-mapped range (::ffff:a.b.c.d/n) is judged by its IPv4 part`),
      );
      // The sandbox takes them.
      expect(loadApiConfig({ ...BASE, [name]: value }).mode, name).toBe('sandbox');
    }
  });

  it.each(['10.0.0.0/8', '172.16.0.0/12, 192.168.0.0/16', '127.0.0.1/32', '::1/128', 'fc00::/7', 'fd00::/8', '2001::/16', '::ffff:10.0.0.0/104', '64:ff9b::/96'])('accepts %s under each variable', (value) => {
    for (const name of VARIABLES) expect(loadApiConfig({ ...PRODUCTION, [name]: value }).mode, name).toBe('production');
  });

  it('refuses a hop count, which believes X-Forwarded-For from any peer, and takes none (0) and the sandbox\'s', () => {
    // Until 7 December 2026 production took one: a caller past the proxy named its own address, inside ADMIN_ALLOWED_CIDRS.
    for (const hops of ['1', '10']) {
      expect(() => loadApiConfig({ ...PRODUCTION, TRUST_PROXY: hops })).toThrow(
        new ConfigError('TRUST_PROXY', "must name the proxies' CIDR ranges in production mode, not a hop count: a hop count believes X-Forwarded-For from any peer that reaches the app"),
      );
      expect(loadApiConfig({ ...BASE, TRUST_PROXY: hops }).trustProxy).toEqual({ kind: 'hops', hops: Number(hops) });
    }
    expect(loadApiConfig({ ...PRODUCTION, TRUST_PROXY: '0' }).trustProxy).toEqual({ kind: 'hops', hops: 0 });
  });
});
