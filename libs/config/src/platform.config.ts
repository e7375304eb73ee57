import { EnvReader } from './env-reader.js';
import { parseTrustProxy, TrustProxy } from './network-trust.js';
import { readSecretsKeys, SecretsKey } from './secrets-keys.js';

/** `sandbox` seeds demo data and prints credentials; `production` refuses both and requires real secrets. */
export type PlatformMode = 'sandbox' | 'production';

export interface PlatformConfig {
  mode: PlatformMode;
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of every Redis key and BullMQ queue, so several platforms (or test suites) share one Redis. */
  redisPrefix: string;
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
  /** PSD2 RTS Art. 4(3)(b): consecutive failed logins (at most 5) before a PSU or admin is locked. */
  loginMaxFailures: number;
  /** How long a lockout lasts, in seconds. */
  loginLockoutSeconds: number;
  /** Which peers may speak for the client through X-Forwarded-* (client IP, scheme); none by default. */
  trustProxy: TrustProxy;
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
    databaseUrl: read.url('DATABASE_URL', undefined, ['postgres:', 'postgresql:']),
    redisUrl: read.url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisPrefix: read.string('REDIS_PREFIX', 'consentry'),
    dataDir: read.string('CONSENTRY_DATA_DIR', '.data'),
    secretsKeys,
    secretsKey: secretsKeys[0]!.key,
    apiUrl: read.url('API_URL', `http://localhost:${apiPort}`),
    authServerUrl: read.url('AUTH_SERVER_URL', `http://localhost:${authPort}`),
    workerHealthUrl: `http://localhost:${workerPort}/health`,
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'silent'] as const, 'info'),
    loginMaxFailures: read.integer('LOGIN_MAX_FAILURES', 5, { min: 1, max: 5 }),
    loginLockoutSeconds: read.integer('LOGIN_LOCKOUT_SECONDS', 15 * 60, { min: 60, max: 7 * 86_400 }),
    trustProxy: parseTrustProxy('TRUST_PROXY', read.raw('TRUST_PROXY')),
  };
}
