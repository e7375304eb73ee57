import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A direct-debit mandate on an account (OB DirectDebit). */
@Entity({ name: 'direct_debit' })
@Index('direct_debit_account_idx', ['accountId', 'directDebitId'])
export class DirectDebitEntity {
  @PrimaryColumn({ name: 'direct_debit_id', type: 'text' })
  directDebitId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  /** ISO ExternalMandateStatus1Code: ACTV, CANC, EXPI, SUSP. */
  @Column({ name: 'status_code', type: 'text' })
  statusCode!: string;

  @Column({ name: 'mandate_identification', type: 'text' })
  mandateIdentification!: string;

  /** OBFrequency6Code (MNTH, YEAR, ...). */
  @Column({ type: 'text' })
  frequency!: string;

  /** Name of the service user (the originator). */
  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'previous_payment_date_time', type: 'timestamptz', nullable: true })
  previousPaymentDateTime!: Date | null;

  @Column({ name: 'previous_payment_amount', type: 'numeric', precision: 18, scale: 5, nullable: true })
  previousPaymentAmount!: string | null;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
