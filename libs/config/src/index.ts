export { ConfigError } from './config.error.js';
export { EnvReader } from './env-reader.js';
export { loadPlatformConfig } from './platform.config.js';
export type { PlatformConfig, PlatformMode } from './platform.config.js';
export { SINGLE_SECRETS_KEY_ID } from './secrets-keys.js';
export type { SecretsKey } from './secrets-keys.js';
export { loadApiConfig, loadAuthServerConfig, loadWorkerConfig } from './app.config.js';
export type { ApiConfig, AuthServerConfig, WorkerConfig } from './app.config.js';
export { runOrExit, StartupError } from './run-or-exit.js';
