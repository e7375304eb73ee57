import { EnvReader } from './env-reader.js';
import { loadPlatformConfig, PlatformConfig } from './platform.config.js';

export interface ApiConfig extends PlatformConfig {
  port: number;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Page size of OB list resources. */
  pageSize: number;
  /** Seconds a customer or admin session lives without activity. */
  sessionIdleSeconds: number;
}

export interface AuthServerConfig extends PlatformConfig {
  port: number;
  /** Lifetime of DPoP-bound access tokens, in seconds. */
  accessTokenTtl: number;
  /** JSON Web Key Set (private) for signing; when unset, dev keys are generated under dataDir on first start. */
  signingJwksFile?: string;
  /** Keys for signing cookies; comma separated. Generated per data dir in sandbox mode. */
  cookieKeys?: string[];
  /** Trust X-Forwarded-* from a TLS-terminating proxy. */
  trustProxy: boolean;
}

export interface WorkerConfig extends PlatformConfig {
  port: number;
  /** Milliseconds between outbox relay polls when the outbox was empty. */
  relayIntervalMs: number;
  /** Largest number of audit events moved or chained in one batch. */
  auditBatchSize: number;
}

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const read = new EnvReader(env);
  return {
    ...loadPlatformConfig(env),
    port: read.port('API_PORT', 3000),
    bodyLimit: read.integer('API_BODY_LIMIT', 1024 * 1024, { min: 1024, max: 10 * 1024 * 1024 }),
    pageSize: read.integer('API_PAGE_SIZE', 100, { min: 1, max: 1000 }),
    sessionIdleSeconds: read.integer('SESSION_IDLE_SECONDS', 300, { min: 30, max: 3600 }),
  };
}

export function loadAuthServerConfig(env: Record<string, string | undefined> = process.env): AuthServerConfig {
  const read = new EnvReader(env);
  const cookieKeys = read.optionalString('COOKIE_KEYS');
  return {
    ...loadPlatformConfig(env),
    port: read.port('AUTH_SERVER_PORT', 3001),
    accessTokenTtl: read.integer('ACCESS_TOKEN_TTL', 300, { min: 30, max: 3600 }),
    signingJwksFile: read.optionalString('SIGNING_JWKS_FILE'),
    cookieKeys: cookieKeys?.split(',').map((k) => k.trim()).filter(Boolean),
    trustProxy: read.boolean('TRUST_PROXY', false),
  };
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const read = new EnvReader(env);
  return {
    ...loadPlatformConfig(env),
    port: read.port('WORKER_PORT', 3002),
    relayIntervalMs: read.integer('AUDIT_RELAY_INTERVAL_MS', 200, { min: 10, max: 60_000 }),
    auditBatchSize: read.integer('AUDIT_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
  };
}
