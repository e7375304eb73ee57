import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'balance' })
@Index('balance_account_idx', ['accountId'])
export class BalanceEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'balance_id' })
  balanceId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  /** OB BalanceType, e.g. InterimAvailable, InterimBooked. */
  @Column({ type: 'text' })
  type!: string;

  /** Decimal amount as text (never a float). */
  @Column({ type: 'numeric', precision: 18, scale: 5 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'credit_debit_indicator', type: 'text' })
  creditDebitIndicator!: 'Credit' | 'Debit';

  @Column({ name: 'date_time', type: 'timestamptz' })
  dateTime!: Date;
}
