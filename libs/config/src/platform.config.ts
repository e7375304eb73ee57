import { isIP } from 'node:net';

import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import { parseAddressRanges, parseTrustProxy, refuseWideRanges, TrustProxy } from './network-trust.js';
import { refusePlaceholder } from './secret-placeholders.js';
import { readSecretsKeys, SecretsKey } from './secrets-keys.js';

/** `sandbox` seeds demo data and prints credentials; `production` refuses both and requires real secrets. */
export type PlatformMode = 'sandbox' | 'production';

export interface PlatformConfig {
  mode: PlatformMode;
  databaseUrl: string;
  /**
   * The most PostgreSQL connections one process opens (DATABASE_POOL_SIZE; 10 for the API and the auth
   * server, 5 for the worker). Sized with the replica counts so that pods x pool stays under
   * max_connections: docs/deployment.md.
   */
  databasePoolSize: number;
  redisUrl: string;
  /**
   * Redis behind Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): the apps ask the sentinels for the
   * primary of `name` and follow it through a failover. REDIS_URL then gives only the password and
   * database number, if any.
   */
  redisSentinels?: RedisSentinels;
  /**
   * A Redis Cluster's seed nodes (REDIS_CLUSTER_NODES): the apps discover the rest. Every key then lives
   * under REDIS_PREFIX's hash tag (`{consentry}` by default), so keys used together share a slot.
   */
  redisClusterNodes?: Array<{ host: string; port: number }>;
  /** Prefix of every Redis key and BullMQ queue, so several platforms (or test suites) share one Redis. */
  redisPrefix: string;
  /**
   * Seconds a consent may wait for authorisation (AWAU), counted from its creation: past it the worker's
   * sweep ends it and the authorization server no longer shows or approves it (`awaitingTooLong`).
   */
  consentAwaitingMaxAgeSeconds: number;
  /** Where sandbox credentials, generated dev keys and embedded data live. */
  dataDir: string;
  /**
   * AES-256-GCM keys protecting customer secrets (TOTP seeds, card numbers) at rest, each with its id:
   * the first encrypts, every one decrypts (SECRETS_KEYS, or SECRETS_KEY alone as id `default`).
   */
  secretsKeys: SecretsKey[];
  /** The first of secretsKeys: the one that encrypts, and the root of keys derived for other uses. */
  secretsKey: Buffer;
  apiUrl: string;
  authServerUrl: string;
  workerHealthUrl: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
  /** `json`: one JSON object a line, for a log pipeline (the default); `pretty`: readable lines for people. */
  logFormat: 'json' | 'pretty';
  /** Client addresses (CIDR ranges) each app's `/metrics` answers; others get 404. Loopback by default. */
  metricsAllowedCidrs: string[];
  /** PSD2 RTS Art. 4(3)(b): consecutive failed logins (at most 5) before a PSU or admin is locked. */
  loginMaxFailures: number;
  /** How long a lockout lasts, in seconds (PCI DSS 8.3.4: at least 30 minutes). */
  loginLockoutSeconds: number;
  /** Which peers may speak for the client through X-Forwarded-* (client IP, scheme); none by default. */
  trustProxy: TrustProxy;
  /** Failed sign-ins from one client IP within the window before that IP gets 429 (every sign-in, both apps). */
  loginIpMaxFailures: number;
  loginIpWindowSeconds: number;
  /**
   * Password hashes (argon2) running at once in one process: libuv's thread pool size minus 2, at least 1,
   * so a flood of sign-ins always leaves threads to the signature checks that share the pool.
   */
  passwordHashConcurrency: number;
  /**
   * SIGTERM: readiness 503 and `Connection: close` for drainMs (SHUTDOWN_DRAIN_MS) while the app still
   * serves, then stop accepting and finish what is in flight; exit 1 past timeoutMs (SHUTDOWN_TIMEOUT_MS).
   */
  shutdown: { drainMs: number; timeoutMs: number };
  /**
   * How long a client may take to send a whole request, headers and body (HTTP_REQUEST_TIMEOUT_MS): past
   * it the API and the auth server answer 408 and close. Node and Fastify set no such limit by default,
   * so a client sending its headers and then a byte of body now and then held a socket for ever
   * (slowloris), with no token needed (the body is read before any guard). Answers may take longer (a
   * long poll, an alerts stream): this bounds only what the client sends.
   */
  httpRequestTimeoutMs: number;
}

/**
 * The Fastify options of an app's HTTP server that bound what a client sends (PlatformConfig
 * httpRequestTimeoutMs), for the API's and the auth server's adapters alike. Node checks the deadlines
 * every `connectionsCheckingInterval` (30 s by default): a quarter of the timeout, between 250 ms and 5 s.
 * Node enforces the request's deadline only while the headers' one (60 s by default) is no longer: the
 * headers get the lesser of the two.
 */
export function httpServerLimits(config: Pick<PlatformConfig, 'httpRequestTimeoutMs'>): {
  requestTimeout: number;
  http: { connectionsCheckingInterval: number; headersTimeout: number; requestTimeout: number };
} {
  const requestTimeout = config.httpRequestTimeoutMs;
  const checkEvery = Math.min(5_000, Math.max(250, Math.floor(requestTimeout / 4)));
  return { requestTimeout, http: { connectionsCheckingInterval: checkEvery, headersTimeout: Math.min(60_000, requestTimeout), requestTimeout } };
}

// Metrics describe the platform's traffic: only the host itself, unless METRICS_ALLOWED_CIDRS names the scrapers.
const LOOPBACK_CIDRS = '127.0.0.0/8,::1/128';

export interface RedisSentinels {
  name: string;
  sentinels: Array<{ host: string; port: number }>;
}

/** `host:port` entries, comma separated (REDIS_SENTINELS, REDIS_CLUSTER_NODES); undefined when unset. */
function readHostPorts(read: EnvReader, name: string): Array<{ host: string; port: number }> | undefined {
  const raw = read.raw(name);
  if (!raw?.trim()) return undefined;
  return raw.split(',').map((entry) => {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry.trim());
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new ConfigError(name, 'entries must look like host:port, comma separated');
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
}

/** REDIS_SENTINELS: `host:port` entries, comma separated; REDIS_SENTINEL_NAME (the monitored primary's name) is then required. */
function readRedisSentinels(read: EnvReader): RedisSentinels | undefined {
  const sentinels = readHostPorts(read, 'REDIS_SENTINELS');
  if (!sentinels) return undefined;
  const name = read.raw('REDIS_SENTINEL_NAME')?.trim();
  if (!name) throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS (the name the sentinels monitor the primary under)');
  return { name, sentinels };
}

/** Where Redis is (one server, Sentinel or a Cluster) and the key prefix, which a Cluster needs hash-tagged. */
function redisTopology(read: EnvReader): Pick<PlatformConfig, 'redisSentinels' | 'redisClusterNodes' | 'redisPrefix'> {
  const redisSentinels = readRedisSentinels(read);
  const redisClusterNodes = readHostPorts(read, 'REDIS_CLUSTER_NODES');
  if (redisSentinels && redisClusterNodes) throw new ConfigError('REDIS_CLUSTER_NODES', 'and REDIS_SENTINELS cannot both be set: a Cluster fails over by itself');
  const redisPrefix = read.string('REDIS_PREFIX', '{consentry}');
  if (redisClusterNodes && !/\{[^{}]+\}/.test(redisPrefix)) {
    throw new ConfigError('REDIS_PREFIX', `must hold a hash tag such as {consentry} on a Redis Cluster, so keys used together share a slot (got "${redisPrefix}")`);
  }
  return { redisSentinels, redisClusterNodes, redisPrefix };
}

// localhost, 127.0.0.0/8 and ::1 (as URL writes it): traffic that never leaves the host.
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || (isIP(hostname) === 4 && hostname.startsWith('127.'));
}

/**
 * API_URL, AUTH_SERVER_URL: the issuer, the token audience and the DPoP `htu` TPPs see, and what turns
 * HSTS and `__Host-` cookies on. The sandbox defaults to http://localhost; production names them and
 * serves them over https, plain http only on a loopback host (tests and local runs).
 */
function publicUrl(read: EnvReader, mode: PlatformMode, name: string, port: number): string {
  if (mode === 'sandbox') return read.url(name, `http://localhost:${port}`);
  if (read.raw(name) === undefined) throw new ConfigError(name, 'is required in production mode (the public https URL clients reach the app at)');
  const value = read.url(name);
  const { protocol, host, hostname } = new URL(value);
  if (protocol !== 'https:' && !isLoopbackHost(hostname)) {
    // protocol and host only: a URL may carry credentials.
    throw new ConfigError(name, `must be an https URL in production mode (got ${protocol}//${host}): plain http is for loopback hosts only (localhost, 127.0.0.0/8, ::1)`);
  }
  return value;
}

/** A CIDR list; in production no range may be wider than network-trust.ts's floor. */
export function addressRanges(mode: PlatformMode, name: string, value: string): string[] {
  const { cidrs } = parseAddressRanges(name, value);
  if (mode === 'production') refuseWideRanges(name, cidrs);
  return cidrs;
}

function trustProxy(read: EnvReader, mode: PlatformMode): TrustProxy {
  const trust = parseTrustProxy('TRUST_PROXY', read.raw('TRUST_PROXY'));
  if (trust.kind === 'cidrs' && mode === 'production') refuseWideRanges('TRUST_PROXY', trust.cidrs);
  if (trust.kind === 'hops' && trust.hops > 0 && mode === 'production') {
    // A hop count believes X-Forwarded-For from whoever connects: with the app reachable past its proxy,
    // anyone names their own address (the admin surfaces' ADMIN_ALLOWED_CIDRS with it). Until 7 December 2026 production took one.
    throw new ConfigError('TRUST_PROXY', 'must name the proxies\' CIDR ranges in production mode, not a hop count: a hop count believes X-Forwarded-For from any peer that reaches the app');
  }
  return trust;
}

export function loadPlatformConfig(env: Record<string, string | undefined> = process.env): PlatformConfig {
  const read = new EnvReader(env);
  const mode = read.oneOf('CONSENTRY_MODE', ['sandbox', 'production'] as const, 'sandbox');
  const secretsKeys = readSecretsKeys(read, mode);
  const apiPort = read.port('API_PORT', 3000);
  const authPort = read.port('AUTH_SERVER_PORT', 3001);
  const workerPort = read.port('WORKER_PORT', 3002);
  return {
    mode,
    databaseUrl: refusePlaceholder('DATABASE_URL', read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']), mode),
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    redisUrl: refusePlaceholder('REDIS_URL', read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']), mode),
    ...redisTopology(read),
    dataDir: read.string('CONSENTRY_DATA_DIR', '.data'),
    secretsKeys,
    secretsKey: secretsKeys[0]!.key,
    apiUrl: publicUrl(read, mode, 'API_URL', apiPort),
    authServerUrl: publicUrl(read, mode, 'AUTH_SERVER_URL', authPort),
    workerHealthUrl: `http://localhost:${workerPort}/health`,
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info'),
    logFormat: read.oneOf('LOG_FORMAT', ['json', 'pretty'] as const, 'json'),
    metricsAllowedCidrs: addressRanges(mode, 'METRICS_ALLOWED_CIDRS', read.raw('METRICS_ALLOWED_CIDRS') ?? LOOPBACK_CIDRS),
    loginMaxFailures: read.integer('LOGIN_MAX_FAILURES', 5, { min: 1, max: 5 }),
    // PCI DSS 8.3.4: a lockout lasts at least 30 minutes.
    loginLockoutSeconds: read.integer('LOGIN_LOCKOUT_SECONDS', 30 * 60, { min: 30 * 60, max: 7 * 86_400 }),
    loginIpMaxFailures: read.integer('LOGIN_IP_MAX_FAILURES', 20, { min: 1, max: 10_000 }),
    loginIpWindowSeconds: read.integer('LOGIN_IP_WINDOW_SECONDS', 15 * 60, { min: 10, max: 24 * 3600 }),
    // Node's own variable (read by libuv at start-up); 4 when unset.
    passwordHashConcurrency: Math.max(1, read.integer('UV_THREADPOOL_SIZE', 4, { min: 1, max: 1024 }) - 2),
    trustProxy: trustProxy(read, mode),
    shutdown: {
      drainMs: read.integer('SHUTDOWN_DRAIN_MS', 5_000, { min: 0, max: 120_000 }),
      timeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 25_000, { min: 1_000, max: 600_000 }),
    },
    consentAwaitingMaxAgeSeconds: read.integer('CONSENT_AWAITING_MAX_AGE_SECONDS', 3600, { min: 60, max: 366 * 86_400 }),
    httpRequestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 1_000, max: 300_000 }),
  };
}
