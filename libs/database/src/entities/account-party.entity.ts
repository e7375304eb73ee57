import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Which parties hold an account, and in what role (OBInternalAccountRole1Code). */
@Entity({ name: 'account_party' })
export class AccountPartyEntity {
  @PrimaryColumn({ name: 'account_id', type: 'text' })
  accountId!: string;

  @PrimaryColumn({ name: 'party_id', type: 'text' })
  partyId!: string;

  @Column({ name: 'account_role', type: 'text' })
  accountRole!: string;
}
