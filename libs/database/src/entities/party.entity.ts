import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A person or organisation the bank knows; `psuId` links the party that is a platform PSU. */
@Entity({ name: 'party' })
@Index('party_psu_idx', ['psuId'])
export class PartyEntity {
  @PrimaryColumn({ name: 'party_id', type: 'text' })
  partyId!: string;

  @Column({ name: 'psu_id', type: 'uuid', nullable: true })
  psuId!: string | null;

  @Column({ name: 'party_number', type: 'text', nullable: true })
  partyNumber!: string | null;

  @Column({ name: 'party_type', type: 'text' })
  partyType!: 'Delegate' | 'Joint' | 'Sole';

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'full_legal_name', type: 'text', nullable: true })
  fullLegalName!: string | null;

  @Column({ name: 'email_address', type: 'text', nullable: true })
  emailAddress!: string | null;

  @Column({ type: 'text', nullable: true })
  phone!: string | null;

  @Column({ type: 'text', nullable: true })
  mobile!: string | null;

  @Column({ name: 'street_name', type: 'text', nullable: true })
  streetName!: string | null;

  @Column({ name: 'building_number', type: 'text', nullable: true })
  buildingNumber!: string | null;

  @Column({ name: 'post_code', type: 'text', nullable: true })
  postCode!: string | null;

  @Column({ name: 'town_name', type: 'text', nullable: true })
  townName!: string | null;

  @Column({ type: 'char', length: 2, nullable: true })
  country!: string | null;
}
