import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A single future-dated payment (OB ScheduledPayment). */
@Entity({ name: 'scheduled_payment' })
@Index('scheduled_payment_account_idx', ['accountId', 'scheduledPaymentId'])
export class ScheduledPaymentEntity {
  @PrimaryColumn({ name: 'scheduled_payment_id', type: 'text' })
  scheduledPaymentId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'scheduled_payment_date_time', type: 'timestamptz' })
  scheduledPaymentDateTime!: Date;

  @Column({ name: 'scheduled_type', type: 'text' })
  scheduledType!: 'Arrival' | 'Execution';

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ name: 'debtor_reference', type: 'text', nullable: true })
  debtorReference!: string | null;

  @Column({ type: 'numeric', precision: 18, scale: 5 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'creditor_scheme_name', type: 'text' })
  creditorSchemeName!: string;

  @Column({ name: 'creditor_identification', type: 'text' })
  creditorIdentification!: string;

  @Column({ name: 'creditor_name', type: 'text', nullable: true })
  creditorName!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
