import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A JSON value as stored in a jsonb column. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * What a payment consent is for. One table holds every kind (domestic payments now; scheduled
 * payments, standing orders, VRP and funds confirmation add their kind here and in the migration's
 * CHECK), so one lifecycle, one revocation and one introspection serve them all.
 */
export type PaymentConsentKind = 'domestic-payment' | 'funds-confirmation' | 'domestic-vrp' | 'domestic-scheduled-payment' | 'domestic-standing-order';

/**
 * v4.0 payment consent statuses (OBInternalConsentStatus1Code): AWAU, AUTH, COND once consumed, RJCT.
 * CANC and EXPD belong to the kinds that can be revoked or expire (VRP, funds confirmation).
 */
export type PaymentConsentStatus = 'AWAU' | 'AUTH' | 'COND' | 'RJCT' | 'CANC' | 'EXPD';

/** A TPP's request to move (or check) a PSU's money, and the PSU's answer to it. */
@Entity({ name: 'payment_consent' })
@Index('payment_consent_client_idx', ['clientId', 'creationDateTime'])
// The PSU's consents newest first (psu_id, creation_date_time DESC, consent_id DESC): see the payment-listings migration.
@Index('payment_consent_psu_listed_idx', ['psuId', 'creationDateTime', 'consentId'])
@Index('payment_consent_awaiting_idx', ['creationDateTime'], { where: `status = 'AWAU'` })
@Index('payment_consent_expiring_idx', ['expirationDateTime'], { where: `status IN ('AWAU', 'AUTH') AND expiration_date_time IS NOT NULL` })
export class PaymentConsentEntity {
  @PrimaryColumn({ name: 'consent_id', type: 'text' })
  consentId!: string;

  @Column({ type: 'text' })
  kind!: PaymentConsentKind;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ name: 'psu_id', type: 'uuid', nullable: true })
  psuId!: string | null;

  @Column({ type: 'text' })
  status!: PaymentConsentStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'status_reason_description', type: 'text', nullable: true })
  statusReasonDescription!: string | null;

  /**
   * The OB Initiation exactly as the TPP sent it (the debtor account is added only if the TPP named it);
   * for a funds-confirmation consent, its Data as sent (DebtorAccount, without ExpirationDateTime).
   */
  @Column({ type: 'jsonb' })
  initiation!: JsonObject;

  /** A VRP consent's OBDomesticVRPControlParameters as sent (null for every other kind). */
  @Column({ name: 'control_parameters', type: 'jsonb', nullable: true })
  controlParameters!: JsonObject | null;

  @Column({ type: 'jsonb' })
  risk!: JsonObject;

  @Column({ name: 'read_refund_account', type: 'text', nullable: true })
  readRefundAccount!: 'Yes' | 'No' | null;

  /** The account to debit: the TPP's DebtorAccount if it named one, else the PSU's pick at approval. */
  @Column({ name: 'debtor_account_id', type: 'text', nullable: true })
  debtorAccountId!: string | null;

  /** SHA-256 of the canonical Initiation and debtor account the PSU approved (PSD2 RTS Art. 5). */
  @Column({ name: 'initiation_hash', type: 'text', nullable: true })
  initiationHash!: string | null;

  @Column({ name: 'grant_id', type: 'text', nullable: true })
  grantId!: string | null;

  @Column({ name: 'authorised_at', type: 'timestamptz', nullable: true })
  authorisedAt!: Date | null;

  @Column({ name: 'expiration_date_time', type: 'timestamptz', nullable: true })
  expirationDateTime!: Date | null;

  @Column({ name: 'creation_date_time', type: 'timestamptz' })
  creationDateTime!: Date;

  @Column({ name: 'status_update_date_time', type: 'timestamptz' })
  statusUpdateDateTime!: Date;
}
