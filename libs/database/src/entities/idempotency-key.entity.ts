import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The first answer to a payment POST under one `x-idempotency-key` of one client and path (24 hours). */
@Entity({ name: 'idempotency_key' })
@Index('idempotency_key_created_idx', ['createdAt'])
export class IdempotencyKeyEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @PrimaryColumn({ type: 'text' })
  path!: string;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  /** SHA-256 of the request body's exact bytes. */
  @Column({ name: 'request_hash', type: 'bytea' })
  requestHash!: Buffer;

  @Column({ name: 'response_status', type: 'smallint' })
  responseStatus!: number;

  /** The answer's JSON exactly as first sent. */
  @Column({ name: 'response_body', type: 'text' })
  responseBody!: string;

  /** Set while the answer is a payment's first (PDNG) and its settlement with the bank is under way; NULL once final. */
  @Column({ name: 'provisional_since', type: 'timestamptz', nullable: true })
  provisionalSince!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
