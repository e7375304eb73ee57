import { AuditChainVerification, recordAuditEvent, verifyAuditChain } from '@consentry/audit';
import { DataSource } from '@consentry/database';
import { Injectable } from '@nestjs/common';

/** The outcome of one verification run, as the console and the admin API show it. */
export interface AuditChainVerificationResult {
  intact: boolean;
  /** Entries checked (up to the first broken one). */
  entries: number;
  /** Hash of the newest entry, when the chain is intact. */
  headHash: string | null;
  /** First entry that does not verify, when broken. */
  firstBrokenSeq: string | null;
  reason: string | null;
  /** Where verification started, when older entries were exported and removed by retention. */
  fromSeq: string | null;
  verifiedAt: string;
}

function toResult(outcome: AuditChainVerification, verifiedAt: Date): AuditChainVerificationResult {
  if (outcome.ok) {
    return {
      intact: true,
      entries: outcome.entries,
      headHash: outcome.headHash,
      firstBrokenSeq: null,
      reason: null,
      fromSeq: outcome.fromSeq === undefined ? null : outcome.fromSeq.toString(),
      verifiedAt: verifiedAt.toISOString(),
    };
  }
  return {
    intact: false,
    entries: outcome.entries,
    headHash: null,
    firstBrokenSeq: outcome.firstBrokenSeq.toString(),
    reason: outcome.reason,
    fromSeq: null,
    verifiedAt: verifiedAt.toISOString(),
  };
}

/**
 * Recomputes the audit log's hash chain on an admin's request (the same check as `npm run
 * audit:verify`, without the signed checkpoints, whose public key the API does not hold) and audits the
 * run as `audit.verified`. Runs requested while one is going share its result: a long log is read
 * once, not once per click.
 */
@Injectable()
export class AuditChainVerificationService {
  private running: Promise<AuditChainVerification> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  async verify(adminId: string, interactionId: string, channel: 'console' | 'api'): Promise<AuditChainVerificationResult> {
    const outcome = await this.runOnce();
    const result = toResult(outcome, new Date());
    await recordAuditEvent(this.dataSource.manager, {
      type: 'audit.verified',
      actor: { type: 'admin', id: adminId },
      interactionId,
      data: {
        channel,
        intact: result.intact,
        entries: result.entries,
        ...(result.firstBrokenSeq !== null ? { firstBrokenSeq: Number(result.firstBrokenSeq), reason: result.reason } : {}),
      },
    });
    return result;
  }

  private runOnce(): Promise<AuditChainVerification> {
    if (!this.running) {
      this.running = verifyAuditChain(this.dataSource).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }
}
