import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An offer the bank makes on an account (OB Offer). */
@Entity({ name: 'offer' })
@Index('offer_account_idx', ['accountId', 'offerId'])
export class OfferEntity {
  @PrimaryColumn({ name: 'offer_id', type: 'text' })
  offerId!: string;

  @Column({ name: 'account_id', type: 'text' })
  accountId!: string;

  @Column({ name: 'offer_type', type: 'text' })
  offerType!: string;

  @Column({ type: 'text' })
  description!: string;

  @Column({ name: 'start_date_time', type: 'timestamptz', nullable: true })
  startDateTime!: Date | null;

  @Column({ name: 'end_date_time', type: 'timestamptz', nullable: true })
  endDateTime!: Date | null;

  @Column({ type: 'text', nullable: true })
  rate!: string | null;

  @Column({ type: 'text', nullable: true })
  term!: string | null;

  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'numeric', precision: 18, scale: 5, nullable: true })
  amount!: string | null;

  @Column({ type: 'numeric', precision: 18, scale: 5, nullable: true })
  fee!: string | null;

  @Column({ type: 'char', length: 3 })
  currency!: string;
}
