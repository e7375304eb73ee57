export { AUDIT_EVENT_TYPES, expiryEndedAnAuthorisation } from './audit-event.js';
export type { AuditActorType, AuditEvent, AuditEventInput, AuditEventType } from './audit-event.js';
export { auditEventsWrite, auditOutboxInsertSql, buildAuditEvent, prepareAuditEvents, recordAuditEvent, recordAuditEvents } from './audit-publisher.js';
export { AUDIT_BATCH_JOB, AUDIT_QUEUE } from './audit-queue.js';
export type { AuditBatchJobData } from './audit-queue.js';
export {
  AUDIT_GENESIS_HASH,
  canonicalJson,
  computeAuditEntryHash,
  linkAuditEntries,
  linkPreparedAuditEntries,
  prepareAuditEntries,
  verifyAuditChain,
} from './audit-chain.js';
export type {
  AuditChainContent,
  AuditChainHead,
  AuditChainVerification,
  AuditContentAroundSeq,
  ChainedAuditEntry,
  PreparedAuditEntry,
  VerifyAuditChainOptions,
} from './audit-chain.js';
export {
  auditCheckpointFileName,
  readAuditCheckpoints,
  signAuditCheckpoint,
} from './audit-checkpoint.js';
export type { AuditCheckpoint } from './audit-checkpoint.js';
export { exportAndPruneAuditLog, verifyAuditExport, verifyAuditExportRecorded } from './audit-retention.js';
export { AUDIT_SEARCH_EXPORT_TRAILER_KIND, auditSearchExportTrailerLine, verifyAuditSearchExport } from './audit-search-export.js';
export { ndjsonLine } from './ndjson.js';
export type { AuditSearchExportSummary, AuditSearchExportTrailer, AuditSearchExportVerification } from './audit-search-export.js';
export type {
  AuditExportEntry,
  AuditExportHeader,
  AuditExportVerification,
  AuditRetentionResult,
} from './audit-retention.js';
export { AUDIT_CHAIN_LOCK_KEY, AuditChainWriter } from './audit-chain-writer.js';
export type { ChainBatchResult } from './audit-chain-writer.js';
