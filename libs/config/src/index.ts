export { loadPlatformConfig } from './platform.config.js';
export type { PlatformConfig, PlatformMode, RedisSentinels } from './platform.config.js';
export type { SecretsKey } from './secrets-keys.js';
export { loadApiConfig, loadAuthServerConfig, loadWorkerConfig, SANDBOX_TRUST_ANCHOR } from './app.config.js';
export type { ApiConfig, AuthServerConfig, HttpBankConnectorConfig, WorkerConfig } from './app.config.js';
export { runOrExit, StartupError } from './run-or-exit.js';
export { readOrCreateKeyFile } from './dev-key-file.js';
export { clientAddress, parseAddressRanges, parseTrustProxy, trustedProxyPredicate } from './network-trust.js';
export type { AddressRanges, TrustProxy } from './network-trust.js';
