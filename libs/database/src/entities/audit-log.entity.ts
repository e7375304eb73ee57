import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The append-only, hash-chained audit log. Each row's `hash` is SHA-256 over its canonical content and
 * the previous row's hash. A trigger refuses UPDATE and DELETE.
 */
@Entity({ name: 'audit_log' })
@Index('audit_log_event_key', ['eventId'], { unique: true })
@Index('audit_log_occurred_idx', ['occurredAt'])
@Index('audit_log_consent_seq_idx', ['consentId', 'seq'])
@Index('audit_log_client_seq_idx', ['clientId', 'seq'])
@Index('audit_log_psu_seq_idx', ['psuId', 'seq'])
@Index('audit_log_event_type_seq_idx', ['eventType', 'seq'])
export class AuditLogEntity {
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;

  @Column({ name: 'client_id', type: 'text', nullable: true })
  clientId!: string | null;

  @Column({ name: 'psu_id', type: 'text', nullable: true })
  psuId!: string | null;

  @Column({ name: 'consent_id', type: 'text', nullable: true })
  consentId!: string | null;

  /** The redacted event as it was chained. */
  @Column({ type: 'jsonb' })
  event!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash!: string;

  @Column({ type: 'text' })
  hash!: string;
}
