import { Injectable, Logger } from '@nestjs/common';

/** A follower of the chained audit log, asked to run now: given the last seq just chained. */
export type AuditLogFollower = (lastSeq: string) => Promise<unknown>;

/**
 * Tells the followers of the chained audit log (the PSU alert tail, event production) that entries were
 * just chained, so that they run at once rather than at their next tick: an alert or an event then waits
 * for the chain alone. Best effort: a follower that cannot be asked (Redis down) runs at its interval,
 * which stays the fallback, and for the entries another worker's chain writer appended.
 */
@Injectable()
export class AuditChainedSignal {
  private readonly logger = new Logger(AuditChainedSignal.name);
  private readonly followers: AuditLogFollower[] = [];

  follow(follower: AuditLogFollower): void {
    this.followers.push(follower);
  }

  async chained(lastSeq: string): Promise<void> {
    const asked = await Promise.allSettled(this.followers.map((follower) => follower(lastSeq)));
    const failed = asked.filter((outcome) => outcome.status === 'rejected').length;
    if (failed > 0) this.logger.warn('a follower of the audit log could not be asked to run now; it runs at its interval', { lastSeq, failed });
  }
}
