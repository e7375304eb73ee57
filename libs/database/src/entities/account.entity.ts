import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** An account held by a PSU at one ASPSP (the sandbox ledger's copy). */
@Entity({ name: 'account' })
@Index('account_psu_idx', ['psuId'])
export class AccountEntity {
  /** The OB AccountId: stable, opaque, unique across banks. */
  @PrimaryColumn({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'aspsp_id', type: 'text' })
  aspspId!: string;

  @Column({ name: 'psu_id', type: 'uuid' })
  psuId!: string;

  @Column({ type: 'text', default: 'Enabled' })
  status!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  /** OB AccountCategory: Personal or Business. */
  @Column({ name: 'account_category', type: 'text' })
  accountCategory!: string;

  /** ISO AccountTypeCode, e.g. CACC (current), SVGS (savings), CARD. */
  @Column({ name: 'account_type_code', type: 'text' })
  accountTypeCode!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  nickname!: string | null;

  @Column({ name: 'opening_date', type: 'date', nullable: true })
  openingDate!: string | null;

  /** OB scheme of the identification, e.g. UK.OBIE.SortCodeAccountNumber, UK.OBIE.PAN. */
  @Column({ name: 'scheme_name', type: 'text' })
  schemeName!: string;

  /**
   * The account number (sort code + number, IBAN). For card accounts (scheme UK.OBIE.PAN) this holds the
   * encrypted PAN, never the PAN in clear (PCI DSS req. 3).
   */
  @Column({ type: 'text' })
  identification!: string;

  /** Name of the account holder as the bank knows it. */
  @Column({ name: 'holder_name', type: 'text' })
  holderName!: string;

  /** How far below zero the available balance may go; the ledger's payment debit checks it atomically. */
  @Column({ name: 'overdraft_limit', type: 'numeric', precision: 18, scale: 5, default: 0 })
  overdraftLimit!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
