import type { AlertsConfig } from './alerts.config.js';
import { loadAlertsConfig } from './alerts.config.js';
import { ConfigError } from './config.error.js';
import { EnvReader } from './env-reader.js';
import { EventNotificationsConfig, loadEventNotificationsConfig } from './event-notifications.config.js';
import { checkCookieKeys } from './cookie-keys.js';
import { addressRanges, isLoopbackHost, loadPlatformConfig, PlatformConfig, PlatformMode } from './platform.config.js';
import { loadRiskConfig, RiskConfig } from './risk.config.js';
import { refusePlaceholder } from './secret-placeholders.js';

export interface ApiConfig extends PlatformConfig {
  /** Payment monitoring (risk rules, review queue). */
  risk: RiskConfig;
  port: number;
  /** Largest accepted request body, in bytes. */
  bodyLimit: number;
  /** Page size of OB list resources. */
  pageSize: number;
  /** Seconds a customer or admin session lives without activity. */
  sessionIdleSeconds: number;
  /** Seconds a customer or admin session lives at most, however active. */
  sessionAbsoluteSeconds: number;
  /** Client addresses (CIDR ranges) the admin API and the admin console answer; others get 404. */
  adminAllowedCidrs: string[];
  /** Whether /docs serves the OpenAPI document and Swagger UI (off in production unless DOCS_ENABLED). */
  docsEnabled: boolean;
  /** OB calls a TPP may make per minute, PSU present or not (a burst of this many, then a steady rate). */
  tppRateLimitPerMinute: number;
  /** Banks reached over HTTP besides the built-in ledger (HTTP_BANK_CONNECTORS, docs/connectors.md). */
  httpBankConnectors: HttpBankConnectorConfig[];
  /**
   * Private JWKS (PS256) the bank signs PIS, VRP and CoF responses with (`x-jws-signature`); never the
   * token-signing keys. Required in production; generated under dataDir in the sandbox.
   */
  messageSigningJwksFile?: string;
  /** The bank's `http://openbanking.org.uk/iss` on response signatures (its directory organisation id). */
  messageSigningIssuer: string;
  /** The trust anchor (`http://openbanking.org.uk/tan`) signatures name: ours on responses, the one TPP requests must name. */
  messageSigningTrustAnchor: string;
  /**
   * A streaming replica the ledger's AIS reads go to (DATABASE_READ_URL), when reachable and no more than
   * `maxLagMs` behind (READ_REPLICA_MAX_LAG_MS); consent, token, TPP, audit, funds and payment reads
   * always use the primary. Absent: every read uses DATABASE_URL.
   */
  readReplica?: { url: string; maxLagMs: number };
  /** UK OB event subscriptions and aggregated polling (docs/monitoring.md). */
  eventNotifications: EventNotificationsConfig;
}

/** One HTTP bank connector: the `aspsp.connector` name it serves, its base URL and its bearer token. */
export interface HttpBankConnectorConfig {
  name: string;
  baseUrl: string;
  token: string;
}

/**
 * HTTP_BANK_CONNECTORS: `name=https://bank.example/adapter#token` entries, comma separated. `name` is the
 * `aspsp.connector` value of the banks it serves. The token is a credential: errors never quote it.
 */
function parseHttpBankConnectors(raw: string | undefined, mode: PlatformMode): HttpBankConnectorConfig[] {
  if (!raw?.trim()) return [];
  refusePlaceholder('HTTP_BANK_CONNECTORS', raw, mode);
  const connectors = raw.trim().split(',').map((entry) => {
    const match = /^([a-z0-9][a-z0-9-]{0,62})=(https?:\/\/[^#\s]+)#(\S{16,})$/.exec(entry.trim());
    if (!match) throw new ConfigError('HTTP_BANK_CONNECTORS', 'entries must look like name=https://host/path#token (token of at least 16 characters)');
    const [, name, baseUrl, token] = match;
    const { protocol, host, hostname, username, password } = new URL(baseUrl!);
    // The credential is the token after `#`: one in the URL would be refused by fetch at every call (the
    // bank unreachable) and could reach an error's cause. Neither quoted.
    if (username || password) throw new ConfigError('HTTP_BANK_CONNECTORS', `${name}: the URL must not carry a user or password (the token goes after #)`);
    if (mode === 'production' && protocol !== 'https:' && !isLoopbackHost(hostname)) {
      // The orders and the bearer token would cross the network in clear. Host only: never the token.
      throw new ConfigError('HTTP_BANK_CONNECTORS', `${name}: must be an https URL in production mode (got ${protocol}//${host}): plain http is for loopback hosts only`);
    }
    return { name: name!, baseUrl: baseUrl!, token: token! };
  });
  // Each name is one bank's, and `sandbox-ledger` is the built-in ledger's (libs/banking
  // SANDBOX_LEDGER_CONNECTOR): a second entry of a name would take the first one's accounts and orders.
  const names = connectors.map((c) => c.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i || name === 'sandbox-ledger');
  if (twice) throw new ConfigError('HTTP_BANK_CONNECTORS', `${twice}: a connector name must be unique and not the built-in sandbox-ledger`);
  return connectors;
}


function readReplica(read: EnvReader, mode: PlatformMode): Pick<ApiConfig, 'readReplica'> {
  if (!read.raw('DATABASE_READ_URL')) return {};
  return {
    readReplica: {
      url: refusePlaceholder('DATABASE_READ_URL', read.url('DATABASE_READ_URL', undefined, ['postgres:', 'postgresql:']), mode),
      maxLagMs: read.integer('READ_REPLICA_MAX_LAG_MS', 1000, { min: 10, max: 600_000 }),
    },
  };
}

// The sandbox's admin surfaces answer loopback and private networks; production names its own.
const SANDBOX_ADMIN_CIDRS = '127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';

export interface AuthServerConfig extends PlatformConfig {
  port: number;
  /** Lifetime of DPoP-bound access tokens, in seconds. */
  accessTokenTtl: number;
  /** JSON Web Key Set (private) for signing; when unset, dev keys are generated under dataDir on first start. */
  signingJwksFile?: string;
  /** Keys for signing cookies; comma separated. Generated per data dir in sandbox mode. */
  cookieKeys?: string[];
  /** Public JWKS of the trusted software-statement directory (RFC 7591 section 2.3). */
  softwareStatementJwksFile?: string;
  /** The directory's `iss`; when set, statements from any other issuer are refused. Needs the JWKS file. */
  softwareStatementIssuer?: string;
  /** Public JWKS of the API's private_key_jwt key, making it an introspection-only client. */
  apiClientJwksFile?: string;
  /** client_id of the API as an introspection client. */
  apiClientId: string;
  /** Requests per minute to /token, /request (PAR) and /register from one client, then 429. */
  oauthRateLimitPerClient: number;
  /** Requests per minute to /token, /request (PAR) and /register from one client IP, then 429. */
  oauthRateLimitPerIp: number;
  /** Seconds a PSU journey may sit without activity before it is returned to the TPP (PSD2 RTS Art. 4(3)(d)). */
  interactionIdleSeconds: number;
  /**
   * Seconds a TPP's client metadata may be served from memory. A change to the `tpp` row (suspension,
   * deregistration, update) evicts it at once through a PostgreSQL NOTIFY; this bounds staleness should a
   * notification be lost. 0 reads the row on every request.
   */
  tppCacheSeconds: number;
  /** Days a software statement stays usable for registration after its `iat`, whatever its own `exp`. */
  ssaMaxAgeDays: number;
}

export interface WorkerConfig extends PlatformConfig {
  /** Payment monitoring (risk rules for scheduled and standing-order runs, review timeout). */
  risk: RiskConfig;
  port: number;
  /** PSU alerts: the audit-log tail and the email channel (alerts.config.ts). */
  alerts: AlertsConfig;
  /** Milliseconds between outbox relay polls when the outbox was empty. */
  relayIntervalMs: number;
  /** Largest number of audit events moved or chained in one batch. */
  auditBatchSize: number;
  /**
   * BullMQ lock of a chain batch: a batch whose worker died is redelivered (as stalled) after about
   * this long. Shorter means faster recovery and more renewals.
   */
  auditJobLockMs: number;
  /**
   * How long an outbox row may stay relayed without being chained before it is relayed again (the job
   * was lost by Redis, e.g. a restart without AOF). Longer than a normal retry backlog.
   */
  auditResweepGraceMs: number;
  /** Cap of a chain batch's exponential retry delay: how long the log may lag a recovered database. */
  auditRetryMaxDelayMs: number;
  /** Milliseconds between sweeps for relayed-but-unchained outbox rows. */
  auditResweepIntervalMs: number;
  /** Milliseconds between signed checkpoints of the chain head; 0 switches checkpoints off. */
  auditCheckpointIntervalMs: number;
  /** Private JWK (JSON) signing checkpoints. Required in production; generated under dataDir in the sandbox. */
  auditCheckpointKeyFile?: string;
  /** Where signed checkpoints are written (one `<seq>.jws` file each); ship it off the database host. */
  auditCheckpointDir: string;
  /** Days audit entries are kept; older ones are exported and removed. 0 keeps them for ever. */
  auditRetentionDays: number;
  /** Where retention exports (NDJSON with the chain's anchor hashes) are written. */
  auditExportDir: string;
  /**
   * Connection of the maintenance role that may EXECUTE audit_log_prune (the application role may not);
   * default DATABASE_URL, which works only where that role has the grant (the sandbox).
   */
  auditMaintenanceDatabaseUrl?: string;
  /** Milliseconds between consent expiry sweeps (a BullMQ job scheduler, one run at a time). */
  consentExpiryIntervalMs: number;
  /** Milliseconds between purges of expired oidc-provider rows (oidc_model). */
  oidcPurgeIntervalMs: number;
  /** Consents expired per transaction by the sweep. */
  consentExpiryBatchSize: number;
  /** Milliseconds between runs of the scheduled-payment execution sweep (which also re-drives stranded payments). */
  scheduledPaymentIntervalMs: number;
  /**
   * Seconds an accepted immediate payment or VRP may wait, PDNG, for its bank's outcome before the worker
   * asks the bank again (redriveStrandedPayments). Far above a request's own debit (the HTTP connector's
   * 5 s timeout), so the request has answered or died by then.
   */
  paymentRedriveAfterSeconds: number;
  /** Hours after which a stranded payment is no longer sent by the worker but left for reconciliation by hand. */
  paymentRedriveMaxAgeHours: number;
  /** Banks reached over HTTP besides the built-in ledger, as the API reaches them (scheduled payments run there). */
  httpBankConnectors: HttpBankConnectorConfig[];
  /** The bank's message-signing keys, which sign the event notifications (the API's MESSAGE_SIGNING_* settings). */
  messageSigningJwksFile?: string;
  messageSigningIssuer: string;
  messageSigningTrustAnchor: string;
  /** UK OB event notifications: production from the audit log and delivery to TPP callbacks. */
  eventNotifications: EventNotificationsConfig;
}

export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const read = new EnvReader(env);
  const platform = loadPlatformConfig(env);
  const adminCidrs = read.raw('ADMIN_ALLOWED_CIDRS') ?? (platform.mode === 'sandbox' ? SANDBOX_ADMIN_CIDRS : undefined);
  if (adminCidrs === undefined) {
    // The admin API reads every customer's audit trail: production says who may reach it.
    throw new ConfigError('ADMIN_ALLOWED_CIDRS', 'is required in production mode (the networks the admin API and console answer)');
  }
  return {
    ...platform,
    adminAllowedCidrs: addressRanges(platform.mode, 'ADMIN_ALLOWED_CIDRS', adminCidrs),
    docsEnabled: read.boolean('DOCS_ENABLED', platform.mode === 'sandbox'),
    port: read.port('API_PORT', 3000),
    bodyLimit: read.integer('API_BODY_LIMIT', 1024 * 1024, { min: 1024, max: 10 * 1024 * 1024 }),
    pageSize: read.integer('API_PAGE_SIZE', 100, { min: 1, max: 1000 }),
    sessionIdleSeconds: read.integer('SESSION_IDLE_SECONDS', 300, { min: 30, max: 3600 }),
    sessionAbsoluteSeconds: read.integer('SESSION_ABSOLUTE_SECONDS', 8 * 3600, { min: 60, max: 24 * 3600 }),
    tppRateLimitPerMinute: read.integer('TPP_RATE_LIMIT_PER_MINUTE', 1200, { min: 1, max: 10_000_000 }),
    httpBankConnectors: parseHttpBankConnectors(read.raw('HTTP_BANK_CONNECTORS'), platform.mode),
    ...messageSigning(read, platform.mode),
    ...readReplica(read, platform.mode),
    eventNotifications: loadEventNotificationsConfig(read),
    risk: loadRiskConfig(env, platform),
  };
}

/** The trust anchor (`tan`) the sandbox TPPs and the sandbox bank sign with: MESSAGE_SIGNING_TAN's sandbox default. */
export const SANDBOX_TRUST_ANCHOR = 'sandbox.consentry.local';

function messageSigning(read: EnvReader, mode: PlatformConfig['mode']): Pick<ApiConfig, 'messageSigningJwksFile' | 'messageSigningIssuer' | 'messageSigningTrustAnchor'> {
  const file = read.optionalString('MESSAGE_SIGNING_JWKS_FILE');
  if (mode === 'production') {
    // Every instance signs with the same managed keys, and production names its own identity and anchor.
    if (!file) throw new ConfigError('MESSAGE_SIGNING_JWKS_FILE', 'is required in production mode (the keys PIS, VRP and CoF responses are signed with)');
    const issuer = read.optionalString('MESSAGE_SIGNING_ISS');
    if (!issuer) throw new ConfigError('MESSAGE_SIGNING_ISS', 'is required in production mode (the bank\'s organisation id in its response signatures)');
    return { messageSigningJwksFile: file, messageSigningIssuer: issuer, messageSigningTrustAnchor: read.string('MESSAGE_SIGNING_TAN', 'openbanking.org.uk') };
  }
  return {
    ...(file ? { messageSigningJwksFile: file } : {}),
    messageSigningIssuer: read.string('MESSAGE_SIGNING_ISS', 'consentry-sandbox-aspsp'),
    messageSigningTrustAnchor: read.string('MESSAGE_SIGNING_TAN', SANDBOX_TRUST_ANCHOR),
  };
}

export function loadAuthServerConfig(env: Record<string, string | undefined> = process.env): AuthServerConfig {
  const read = new EnvReader(env);
  const platform = loadPlatformConfig(env);
  const cookieKeys = read.optionalString('COOKIE_KEYS')?.split(',').map((k) => k.trim()).filter(Boolean);
  if (cookieKeys) checkCookieKeys(cookieKeys, platform.mode);
  const softwareStatementJwksFile = read.optionalString('SOFTWARE_STATEMENT_JWKS_FILE');
  const softwareStatementIssuer = read.optionalString('SOFTWARE_STATEMENT_ISSUER');
  if (softwareStatementIssuer !== undefined && softwareStatementJwksFile === undefined) {
    // Pinning an issuer without its keys would silently trust the sandbox directory instead.
    throw new ConfigError('SOFTWARE_STATEMENT_ISSUER', 'needs SOFTWARE_STATEMENT_JWKS_FILE (the directory\'s public keys)');
  }
  const apiClientId = read.string('API_CLIENT_ID', 'consentry-api');
  if (!/^[A-Za-z0-9._~-]{1,200}$/.test(apiClientId)) {
    throw new ConfigError('API_CLIENT_ID', 'must be 1-200 characters of A-Z, a-z, 0-9, ".", "_", "~" or "-"');
  }
  return {
    ...platform,
    port: read.port('AUTH_SERVER_PORT', 3001),
    accessTokenTtl: read.integer('ACCESS_TOKEN_TTL', 300, { min: 30, max: 3600 }),
    signingJwksFile: read.optionalString('SIGNING_JWKS_FILE'),
    cookieKeys,
    softwareStatementJwksFile,
    softwareStatementIssuer,
    apiClientJwksFile: read.optionalString('API_CLIENT_JWKS_FILE'),
    apiClientId,
    oauthRateLimitPerClient: read.integer('OAUTH_RATE_LIMIT_PER_CLIENT', 600, { min: 1, max: 10_000_000 }),
    oauthRateLimitPerIp: read.integer('OAUTH_RATE_LIMIT_PER_IP', 1200, { min: 1, max: 10_000_000 }),
    // PSD2 RTS Art. 4(3)(d): at most 5 minutes without activity after authentication.
    interactionIdleSeconds: read.integer('INTERACTION_IDLE_SECONDS', 300, { min: 5, max: 300 }),
    tppCacheSeconds: read.integer('TPP_CACHE_SECONDS', 30, { min: 0, max: 300 }),
    ssaMaxAgeDays: read.integer('SSA_MAX_AGE_DAYS', 30, { min: 1, max: 365 }),
  };
}

export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const read = new EnvReader(env);
  const platform = loadPlatformConfig(env);
  if (platform.mode === 'production' && read.optionalString('AUDIT_CHECKPOINT_KEY_FILE') === undefined
    && read.integer('AUDIT_CHECKPOINT_INTERVAL_MS', 60_000, { min: 0 }) > 0) {
    // A key generated next to the data would be a key the database's administrators hold.
    throw new ConfigError('AUDIT_CHECKPOINT_KEY_FILE', 'is required in production mode (or set AUDIT_CHECKPOINT_INTERVAL_MS=0)');
  }
  return {
    ...platform,
    // The worker's jobs run a few at a time: a smaller pool than the HTTP apps' by default.
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 5, { min: 1, max: 200 }),
    port: read.port('WORKER_PORT', 3002),
    relayIntervalMs: read.integer('AUDIT_RELAY_INTERVAL_MS', 200, { min: 10, max: 60_000 }),
    auditBatchSize: read.integer('AUDIT_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
    auditJobLockMs: read.integer('AUDIT_JOB_LOCK_MS', 30_000, { min: 1_000, max: 600_000 }),
    auditResweepGraceMs: read.integer('AUDIT_RESWEEP_GRACE_MS', 5 * 60_000, { min: 1_000, max: 24 * 3600_000 }),
    auditRetryMaxDelayMs: read.integer('AUDIT_RETRY_MAX_DELAY_MS', 60_000, { min: 1_000, max: 600_000 }),
    auditResweepIntervalMs: read.integer('AUDIT_RESWEEP_INTERVAL_MS', 30_000, { min: 100, max: 3600_000 }),
    auditCheckpointIntervalMs: read.integer('AUDIT_CHECKPOINT_INTERVAL_MS', 60_000, { min: 0, max: 24 * 3600_000 }),
    auditCheckpointKeyFile: read.optionalString('AUDIT_CHECKPOINT_KEY_FILE'),
    auditCheckpointDir: read.string('AUDIT_CHECKPOINT_DIR', `${platform.dataDir}/audit-checkpoints`),
    auditRetentionDays: read.integer('AUDIT_RETENTION_DAYS', 0, { min: 0, max: 100 * 366 }),
    auditExportDir: read.string('AUDIT_EXPORT_DIR', `${platform.dataDir}/audit-exports`),
    auditMaintenanceDatabaseUrl: refusePlaceholder('AUDIT_MAINTENANCE_DATABASE_URL', read.optionalString('AUDIT_MAINTENANCE_DATABASE_URL'), platform.mode),
    consentExpiryIntervalMs: read.integer('CONSENT_EXPIRY_INTERVAL_MS', 60_000, { min: 100, max: 24 * 3600_000 }),
    scheduledPaymentIntervalMs: read.integer('SCHEDULED_PAYMENT_INTERVAL_MS', 30_000, { min: 100, max: 3600_000 }),
    paymentRedriveAfterSeconds: read.integer('PAYMENT_REDRIVE_AFTER_SECONDS', 120, { min: 30, max: 86_400 }),
    paymentRedriveMaxAgeHours: read.integer('PAYMENT_REDRIVE_MAX_AGE_HOURS', 24, { min: 1, max: 24 * 31 }),
    httpBankConnectors: parseHttpBankConnectors(read.raw('HTTP_BANK_CONNECTORS'), platform.mode),
    oidcPurgeIntervalMs: read.integer('OIDC_PURGE_INTERVAL_MS', 10 * 60_000, { min: 100, max: 24 * 3600_000 }),
    consentExpiryBatchSize: read.integer('CONSENT_EXPIRY_BATCH_SIZE', 50_000, { min: 1, max: 1_000_000 }),
    ...messageSigning(read, platform.mode),
    eventNotifications: loadEventNotificationsConfig(read),
    alerts: loadAlertsConfig(env, platform.mode),
    risk: loadRiskConfig(env, platform),
  };
}
