export { SANDBOX_TPP } from './sandbox-data.js';
export {
  createSandboxTppKeys,
  isSandboxSeeded,
  readSandboxCredentials,
  registerTpp,
  SANDBOX_DENY_LISTED_CREDITOR,
  seedSandbox,
  upgradeSandboxMonitoring,
  upgradeSandboxTpp,
  writeSandboxCredentials,
} from './seed-sandbox.js';
export type {
  SandboxAdminCredentials,
  SandboxCredentials,
  SandboxFiles,
  SandboxMonitoringUpgrade,
  SandboxPsuCredentials,
  SandboxTppCredentials,
  SeedOptions,
} from './seed-sandbox.js';
export { SCALE_CHUNK_ROWS, scaleAccountId, scaleConsentId, scaleGrantId, seedScale } from './seed-scale.js';
export type { ScaleProgress, ScaleSizes } from './seed-scale.js';
