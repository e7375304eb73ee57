export { ConfigError } from './config.error.js';
export { EnvReader } from './env-reader.js';
export { loadPlatformConfig } from './platform.config.js';
export type { PlatformConfig, PlatformMode } from './platform.config.js';
export { loadApiConfig, loadAuthServerConfig, loadWorkerConfig } from './app.config.js';
export type { ApiConfig, AuthServerConfig, WorkerConfig } from './app.config.js';
export { runOrExit, StartupError } from './run-or-exit.js';
export { clientAddress, parseAddressRanges, parseTrustProxy, trustedProxyPredicate } from './network-trust.js';
export type { AddressRanges, TrustProxy } from './network-trust.js';
