import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

import type { DomesticPaymentStatus } from './domestic-payment.entity.js';
import type { JsonObject } from './payment-consent.entity.js';

/** A domestic VRP: one of the many payments made under a `domestic-vrp` consent. */
@Entity({ name: 'vrp_payment' })
@Index('vrp_payment_consent_idx', ['consentId', 'creationDateTime'])
@Index('vrp_payment_client_idx', ['clientId', 'creationDateTime'])
// Newest first, whole or by status (DESC in the payment-listings migration): the admin's keyset pages.
@Index('vrp_payment_listed_idx', ['creationDateTime', 'paymentId'])
@Index('vrp_payment_status_listed_idx', ['status', 'creationDateTime', 'paymentId'])
@Index('vrp_payment_unsettled_idx', ['statusUpdateDateTime'], { where: `status = 'ACSP'` })
export class VrpPaymentEntity {
  @PrimaryColumn({ name: 'payment_id', type: 'text' })
  paymentId!: string;

  @Column({ name: 'consent_id', type: 'text' })
  consentId!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  /** The same ISO codes as a domestic payment: PDNG, ACSP, ACSC or RJCT. */
  @Column({ type: 'text' })
  status!: DomesticPaymentStatus;

  @Column({ name: 'status_reason', type: 'text', nullable: true })
  statusReason!: string | null;

  @Column({ name: 'status_reason_description', type: 'text', nullable: true })
  statusReasonDescription!: string | null;

  @Column({ name: 'vrp_type', type: 'text' })
  vrpType!: string;

  /** Instruction.InstructedAmount.Amount, kept as a column: the periodic limits sum it. */
  @Column({ type: 'numeric', precision: 18, scale: 5 })
  amount!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'jsonb' })
  initiation!: JsonObject;

  @Column({ type: 'jsonb' })
  instruction!: JsonObject;

  @Column({ type: 'jsonb' })
  risk!: JsonObject;

  @Column({ name: 'psu_authentication_method', type: 'text' })
  psuAuthenticationMethod!: string;

  @Column({ name: 'psu_interaction_type', type: 'text', nullable: true })
  psuInteractionType!: string | null;

  @Column({ name: 'debtor_account_id', type: 'text' })
  debtorAccountId!: string;

  @Column({ name: 'ledger_transaction_id', type: 'text', nullable: true })
  ledgerTransactionId!: string | null;

  @Column({ name: 'creation_date_time', type: 'timestamptz' })
  creationDateTime!: Date;

  @Column({ name: 'status_update_date_time', type: 'timestamptz' })
  statusUpdateDateTime!: Date;
}
