import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import type { JsonObject } from './payment-consent.entity.js';

/** ISO 20022 ExternalPaymentTransactionStatus1Code values a domestic payment takes here. */
export type DomesticPaymentStatus = 'PDNG' | 'ACSP' | 'ACSC' | 'RJCT' | 'CANC';

/**
 * A domestic payment order made under a `domestic-payment` consent, or a scheduled one under a
 * `domestic-scheduled-payment` consent (at most one per consent).
 */
@Entity({ name: 'domestic_payment' })
@Index('domestic_payment_client_idx', ['clientId', 'creationDateTime'])
// Newest first, whole or by status (DESC in the payment-listings migration): the admin's keyset pages.
@Index('domestic_payment_listed_idx', ['creationDateTime', 'paymentId'])
@Index('domestic_payment_status_listed_idx', ['status', 'creationDateTime', 'paymentId'])
@Index('domestic_payment_unsettled_idx', ['statusUpdateDateTime'], { where: `status = 'ACSP'` })
export class DomesticPaymentEntity {
  @PrimaryColumn({ name: 'payment_id', type: 'text' })
  paymentId!: string;

  @Column({ name: 'consent_id', type: 'text', unique: true })
  consentId!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text' })
  status!: DomesticPaymentStatus;

  /** ISO status reason, e.g. AM04 (insufficient funds). */
  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'status_reason_description', type: 'text', nullable: true })
  statusReasonDescription!: string | null;

  @Column({ type: 'jsonb' })
  initiation!: JsonObject;

  @Column({ name: 'debtor_account_id', type: 'text' })
  debtorAccountId!: string;

  /** The debit the ledger booked; null when the payment was rejected. */
  @Column({ name: 'ledger_transaction_id', type: 'text', nullable: true })
  ledgerTransactionId!: string | null;

  /** When a scheduled payment is to run (its RequestedExecutionDateTime); null for an immediate one. */
  @Column({ name: 'requested_execution_date_time', type: 'timestamptz', nullable: true })
  requestedExecutionDateTime!: Date | null;

  @Column({ name: 'creation_date_time', type: 'timestamptz' })
  creationDateTime!: Date;

  @Column({ name: 'status_update_date_time', type: 'timestamptz' })
  statusUpdateDateTime!: Date;
}
