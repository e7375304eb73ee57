import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A recurring payment instruction of fixed amount (OB StandingOrder). */
@Entity({ name: 'standing_order' })
@Index('standing_order_account_idx', ['accountId', 'standingOrderId'])
export class StandingOrderEntity {
  @PrimaryColumn({ name: 'standing_order_id', type: 'text' })
  standingOrderId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'status_code', type: 'text' })
  statusCode!: string;

  /** OBFrequency6Code (WEEK, MNTH, ...). */
  @Column({ type: 'text' })
  frequency!: string;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ name: 'number_of_payments', type: 'integer', nullable: true })
  numberOfPayments!: number | null;

  @Column({ name: 'first_payment_date_time', type: 'timestamptz' })
  firstPaymentDateTime!: Date;

  @Column({ name: 'next_payment_date_time', type: 'timestamptz', nullable: true })
  nextPaymentDateTime!: Date | null;

  @Column({ name: 'last_payment_date_time', type: 'timestamptz', nullable: true })
  lastPaymentDateTime!: Date | null;

  @Column({ name: 'final_payment_date_time', type: 'timestamptz', nullable: true })
  finalPaymentDateTime!: Date | null;

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
