import { Entity, Index, PrimaryColumn } from 'typeorm';

/** One account a PSU selected when authorising an account-access consent. */
@Entity({ name: 'consent_account' })
@Index('consent_account_account_idx', ['accountId'])
export class ConsentAccountEntity {
  @PrimaryColumn({ name: 'consent_id', type: 'text' })
  consentId!: string;

  @PrimaryColumn({ name: 'account_id', type: 'text' })
  accountId!: string;
}
