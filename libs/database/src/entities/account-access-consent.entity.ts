import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export type ConsentStatus = 'AWAU' | 'AUTH' | 'RJCT' | 'CANC' | 'EXPD';

/** Whose re-authentication rule applies to a consent: the UK's 90-day reconfirmation or PSD2 RTS Art. 10a. */
export type ConsentJurisdiction = 'UK' | 'EU';

/** A TPP's request to read a PSU's account information, and the PSU's answer to it. */
@Entity({ name: 'account_access_consent' })
@Index('account_access_consent_client_idx', ['clientId', 'creationDateTime'])
@Index('account_access_consent_psu_listed_idx', ['psuId', 'creationDateTime', 'consentId'])
@Index('account_access_consent_expiry_due_idx', ['expirationDateTime'], {
  where: `status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL`,
})
@Index('account_access_consent_awaiting_idx', ['creationDateTime'], { where: `status = 'AWAU'` })
export class AccountAccessConsentEntity {
  @PrimaryColumn({ name: 'consent_id', type: 'text' })
  consentId!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  /** Set when a PSU authorises (or rejects) the consent. */
  @Column({ name: 'psu_id', type: 'uuid', nullable: true })
  psuId!: string | null;

  @Column({ type: 'text' })
  status!: ConsentStatus;

  /** OB status reason code, e.g. U0xx or a free code such as ConsentRevokedByPsu. */
  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'status_reason_description', type: 'text', nullable: true })
  statusReasonDescription!: string | null;

  @Column({ type: 'text', array: true })
  permissions!: string[];

  @Column({ name: 'expiration_date_time', type: 'timestamptz', nullable: true })
  expirationDateTime!: Date | null;

  @Column({ name: 'transaction_from_date_time', type: 'timestamptz', nullable: true })
  transactionFromDateTime!: Date | null;

  @Column({ name: 'transaction_to_date_time', type: 'timestamptz', nullable: true })
  transactionToDateTime!: Date | null;

  @Column({ name: 'creation_date_time', type: 'timestamptz' })
  creationDateTime!: Date;

  @Column({ name: 'status_update_date_time', type: 'timestamptz' })
  statusUpdateDateTime!: Date;

  /** The oidc-provider grant created when the PSU authorised; revoking the consent revokes it. */
  @Column({ name: 'grant_id', type: 'text', nullable: true })
  grantId!: string | null;

  @Column({ name: 'authorised_at', type: 'timestamptz', nullable: true })
  authorisedAt!: Date | null;

  /** Selects the re-authentication period (see @consentry/consents needsReauthentication). */
  @Column({ type: 'text', default: 'UK' })
  jurisdiction!: ConsentJurisdiction;

  /** When the PSU last re-authenticated (or the TPP reconfirmed); null until the first time. */
  @Column({ name: 'reauthenticated_at', type: 'timestamptz', nullable: true })
  reauthenticatedAt!: Date | null;
}
