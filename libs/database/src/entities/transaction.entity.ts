import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A booked or pending ledger entry. Keyset-paged by (booking_date_time, transaction_id). */
@Entity({ name: 'transaction' })
@Index('transaction_account_booking_idx', ['accountId', 'bookingDateTime', 'transactionId'])
export class TransactionEntity {
  @PrimaryColumn({ name: 'transaction_id', type: 'text' })
  transactionId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'transaction_reference', type: 'text', nullable: true })
  transactionReference!: string | null;

  @Column({ type: 'numeric', precision: 18, scale: 5 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'credit_debit_indicator', type: 'text' })
  creditDebitIndicator!: 'Credit' | 'Debit';

  /** ISO status: BOOK or PDNG. */
  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'booking_date_time', type: 'timestamptz' })
  bookingDateTime!: Date;

  @Column({ name: 'value_date_time', type: 'timestamptz', nullable: true })
  valueDateTime!: Date | null;

  /** Free text shown only under ReadTransactionsDetail. */
  @Column({ name: 'transaction_information', type: 'text', nullable: true })
  transactionInformation!: string | null;

  @Column({ name: 'bank_transaction_code', type: 'text', nullable: true })
  bankTransactionCode!: string | null;

  @Column({ name: 'bank_transaction_sub_code', type: 'text', nullable: true })
  bankTransactionSubCode!: string | null;

  @Column({ name: 'merchant_name', type: 'text', nullable: true })
  merchantName!: string | null;

  @Column({ name: 'merchant_category_code', type: 'text', nullable: true })
  merchantCategoryCode!: string | null;

  @Column({ name: 'balance_after_amount', type: 'numeric', precision: 18, scale: 5, nullable: true })
  balanceAfterAmount!: string | null;
}
