import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A statement period of an account; its transactions are the ledger's bookings inside the period. */
@Entity({ name: 'statement' })
@Index('statement_account_idx', ['accountId', 'statementId'])
@Index('statement_account_end_idx', ['accountId', 'endDateTime'])
export class StatementEntity {
  @PrimaryColumn({ name: 'statement_id', type: 'text' })
  statementId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'statement_reference', type: 'text', nullable: true })
  statementReference!: string | null;

  /** OBInternalStatementType1Code: RegularPeriodic, Interim, Annual, AccountOpening, AccountClosure. */
  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'start_date_time', type: 'timestamptz' })
  startDateTime!: Date;

  @Column({ name: 'end_date_time', type: 'timestamptz' })
  endDateTime!: Date;

  @Column({ name: 'creation_date_time', type: 'timestamptz' })
  creationDateTime!: Date;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** Signed: negative means the account was in debit. */
  @Column({ name: 'opening_balance', type: 'numeric', precision: 18, scale: 5 })
  openingBalance!: string;

  @Column({ name: 'closing_balance', type: 'numeric', precision: 18, scale: 5 })
  closingBalance!: string;

  @Column({ name: 'total_credits', type: 'numeric', precision: 18, scale: 5 })
  totalCredits!: string;

  @Column({ name: 'total_debits', type: 'numeric', precision: 18, scale: 5 })
  totalDebits!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;
}
