import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A bank (account servicing payment service provider) whose ledger the platform aggregates. */
@Entity({ name: 'aspsp' })
export class AspspEntity {
  @PrimaryColumn({ name: 'aspsp_id', type: 'text' })
  aspspId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Which connector serves this bank's accounts (`sandbox-ledger` for the built-in ledger). */
  @Column({ name: 'connector', type: 'text', default: 'sandbox-ledger' })
  connector!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
