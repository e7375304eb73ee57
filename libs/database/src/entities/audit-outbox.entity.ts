import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The outbox table's name, for the prepared statements that write it without a query runner. */
export const AUDIT_OUTBOX_TABLE = 'audit_outbox';

/** Audit events written in the same transaction as the change they describe (transactional outbox). */
@Entity({ name: AUDIT_OUTBOX_TABLE })
@Index('audit_outbox_pending_idx', ['createdSeq'], { where: 'relayed_at IS NULL' })
export class AuditOutboxEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  /** Insertion order, so the relay moves events in the order they happened. */
  @Column({ name: 'created_seq', type: 'bigint', generated: 'increment' })
  createdSeq!: string;

  /** The whole redacted event (see @consentry/audit AuditEvent). */
  @Column({ type: 'jsonb' })
  event!: Record<string, unknown>;

  @Column({ name: 'relayed_at', type: 'timestamptz', nullable: true })
  relayedAt!: Date | null;

  /** The W3C traceparent of the request that recorded the event, when traced; not part of the event. */
  @Column({ type: 'text', nullable: true })
  traceparent!: string | null;
}
