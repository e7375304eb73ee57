import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A payee the PSU saved on an account (OB Beneficiary). A PAN creditor identification is stored encrypted. */
@Entity({ name: 'beneficiary' })
@Index('beneficiary_account_idx', ['accountId', 'beneficiaryId'])
export class BeneficiaryEntity {
  @PrimaryColumn({ name: 'beneficiary_id', type: 'text' })
  beneficiaryId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'beneficiary_type', type: 'text', nullable: true })
  beneficiaryType!: 'Trusted' | 'Ordinary' | null;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ name: 'creditor_agent_scheme_name', type: 'text', nullable: true })
  creditorAgentSchemeName!: string | null;

  @Column({ name: 'creditor_agent_identification', type: 'text', nullable: true })
  creditorAgentIdentification!: string | null;

  @Column({ name: 'creditor_scheme_name', type: 'text' })
  creditorSchemeName!: string;

  @Column({ name: 'creditor_identification', type: 'text' })
  creditorIdentification!: string;

  @Column({ name: 'creditor_name', type: 'text', nullable: true })
  creditorName!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
