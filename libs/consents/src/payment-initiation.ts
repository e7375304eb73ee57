import type { PaymentConsentKind } from '@consentry/database';
import { accountIdentificationProblem, identificationTextProblem } from '@consentry/validation';

/** The parts of an OB domestic Initiation the bank acts on, read from the stored JSON. */
export interface InitiationSummary {
  instructionIdentification: string;
  endToEndIdentification: string;
  amount: string;
  currency: string;
  /** The payee; `secondaryIdentification` (a building society's roll number) only when the consent names one. */
  creditorAccount: { schemeName: string; identification: string; name: string; secondaryIdentification?: string };
  /** The account the TPP named, if it did; otherwise the PSU picks one at approval. */
  debtorAccount: { schemeName: string; identification: string } | null;
  /** RemittanceInformation.Unstructured lines joined, if any. */
  remittance: string | null;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const sorted: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) sorted[key] = canonical(member);
    }
    return sorted;
  }
  return value as Json;
}

/** JSON with object keys sorted at every depth: equal for two Initiations that differ only in key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value));
}

/**
 * The one equality of what a payment order repeats of its consent (UK OB U008, "an element in the
 * resource's Initiation or Risk section does not match the consent section"): canonical JSON, so key
 * order does not matter and every member, optional ones included, does. A member the consent omits must
 * be omitted too, and the reverse; strings are compared exactly (no trimming, no case folding).
 */
function sameAsConsented(consented: unknown, ordered: unknown): boolean {
  return canonicalJson(consented) === canonicalJson(ordered);
}

/** Whether a payment order's Initiation is its consent's (UK OB: else 400 U008, `Data.Initiation`). */
export function sameInitiation(consented: unknown, ordered: unknown): boolean {
  return sameAsConsented(consented, ordered);
}

/**
 * Whether a domestic, scheduled or standing-order payment order's Risk is its consent's (UK OB: else
 * 400 U008, `Risk`). Not a VRP's: the VRP specification binds its payments to the ControlParameters, and
 * each VRP carries the Risk of that payment.
 */
export function sameRisk(consented: unknown, ordered: unknown): boolean {
  return sameAsConsented(consented, ordered);
}

/**
 * Whether a VRP's creditor (its Instruction's CreditorAccount) is the one its consent's Initiation names,
 * whole: SchemeName, Identification, Name, SecondaryIdentification and any other member (PSD2 RTS Art. 5:
 * the payee the PSU approved; else 400 U008, `Data.Instruction.CreditorAccount`). The same scheme and
 * number under another name, or with a roll number the consent does not name, is another payee.
 */
export function sameCreditorAccount(named: unknown, instructed: unknown): boolean {
  return sameAsConsented(named, instructed);
}

/** The parts of a payment consent the PSU approves and its payments are checked against. */
interface ApprovableConsent {
  kind: string;
  initiation: Record<string, unknown>;
  controlParameters: Record<string, unknown> | null;
  /** Where a VRP's Consent-aligned periods start. */
  creationDateTime: Date;
  /** Where a funds-confirmation consent ends (its own column, not in its Initiation). */
  expirationDateTime: Date | null;
}

/**
 * What the PSU approves, by kind of consent: a domestic payment's Initiation; a VRP's ControlParameters
 * with its Initiation (creditor and debtor) and its creation instant, where its Consent-aligned periods
 * start; a funds-confirmation consent's Initiation with its end. PaymentApprovalSeal binds the approval to
 * exactly this, so none of it can change after the approval.
 */
export function approvedTerms(consent: ApprovableConsent): unknown {
  switch (consent.kind) {
    case 'domestic-vrp':
      return { ControlParameters: consent.controlParameters, Initiation: consent.initiation, CreationDateTime: consent.creationDateTime.toISOString() };
    case 'funds-confirmation':
      return { Initiation: consent.initiation, ExpirationDateTime: consent.expirationDateTime?.toISOString() ?? null };
    default:
      return consent.initiation;
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads the stored Initiation of a domestic payment consent (validated when it was created). */
export function summariseInitiation(initiation: Record<string, unknown>): InitiationSummary {
  const amount = (initiation.InstructedAmount ?? {}) as Record<string, unknown>;
  const creditor = (initiation.CreditorAccount ?? {}) as Record<string, unknown>;
  const debtor = initiation.DebtorAccount as Record<string, unknown> | undefined;
  const remittance = (initiation.RemittanceInformation ?? {}) as { Unstructured?: unknown };
  const lines = Array.isArray(remittance.Unstructured) ? remittance.Unstructured.filter((l): l is string => typeof l === 'string') : [];
  return {
    instructionIdentification: text(initiation.InstructionIdentification),
    endToEndIdentification: text(initiation.EndToEndIdentification),
    amount: text(amount.Amount),
    currency: text(amount.Currency),
    creditorAccount: {
      schemeName: text(creditor.SchemeName),
      identification: text(creditor.Identification),
      name: text(creditor.Name),
      // The PSU approves it (the pages show it) and the bank is told it: until 7 December 2026 it was sealed but shown to no one.
      ...(typeof creditor.SecondaryIdentification === 'string' ? { secondaryIdentification: creditor.SecondaryIdentification } : {}),
    },
    debtorAccount: debtor ? { schemeName: text(debtor.SchemeName), identification: text(debtor.Identification) } : null,
    remittance: lines.length > 0 ? lines.join(' ') : null,
  };
}

/**
 * Why a stored Initiation names an account no order under it could name, or null: an Identification
 * outside its scheme's form or that does not print as itself, a SecondaryIdentification that does not (the
 * API refuses them in a request since 7 December 2026; a consent stored before may hold one). The auth
 * server does not ask a PSU to approve such a consent: every order repeating it would be refused.
 */
export function initiationAccountProblem(initiation: Record<string, unknown>): string | null {
  for (const party of ['CreditorAccount', 'DebtorAccount']) {
    const account = initiation[party];
    if (account === null || typeof account !== 'object') continue;
    const { SchemeName, Identification, SecondaryIdentification } = account as Record<string, unknown>;
    const identification = typeof Identification === 'string' ? accountIdentificationProblem(SchemeName, Identification) : null;
    if (identification) return `${party}.Identification ${identification}`;
    const secondary = typeof SecondaryIdentification === 'string' ? identificationTextProblem(SecondaryIdentification) : null;
    if (secondary) return `${party}.SecondaryIdentification ${secondary}`;
  }
  return null;
}

/**
 * What a standing order's run tells the bank beside its money and payee: the order's remittance lines,
 * which the payee matches the payment by (as a scheduled payment's are sent). A v4.0 standing order names
 * no EndToEndIdentification (nor v3's Reference), so a run carries no reference of the TPP's (an empty
 * one, which the bank books as none). Until 7 December 2026 every run was sent without its remittance, and
 * the payee saw only "Payment to <name>".
 */
export function standingOrderRunText(initiation: Record<string, unknown>): { reference: string; information: string | null } {
  return { reference: '', information: summariseInitiation(initiation).remittance };
}

/** What the PSU's approval of a payment consent of any kind binds: the debtor account and, for a payment, its money. */
export interface ApprovalTerms {
  /** The account the TPP named (always, for confirmation of funds); null when the PSU picks it. */
  debtorAccount: { schemeName: string; identification: string } | null;
  /** The amount and currency of a payment; null for a funds-confirmation consent, which names none. */
  money: { amount: string; currency: string } | null;
}

/** The approval terms of a stored consent, read by kind: the accounts offered and the audit trail follow them. */
export function approvalTermsOf(kind: PaymentConsentKind, initiation: Record<string, unknown>, controlParameters: Record<string, unknown> | null = null): ApprovalTerms {
  switch (kind) {
    case 'domestic-payment':
    case 'domestic-scheduled-payment': {
      // A scheduled payment's date is in its Initiation, which the approval hash covers whole.
      const summary = summariseInitiation(initiation);
      return { debtorAccount: summary.debtorAccount, money: { amount: summary.amount, currency: summary.currency } };
    }
    case 'domestic-vrp': {
      // A VRP's money is its MaximumIndividualAmount; its debtor, if the TPP named one, is in the Initiation.
      const maximum = (controlParameters?.MaximumIndividualAmount ?? {}) as Record<string, unknown>;
      const debtor = initiation.DebtorAccount as Record<string, unknown> | undefined;
      return {
        debtorAccount: debtor ? { schemeName: text(debtor.SchemeName), identification: text(debtor.Identification) } : null,
        money: { amount: text(maximum.Amount), currency: text(maximum.Currency) },
      };
    }
    case 'domestic-standing-order': {
      // The money the PSU approves first is the FirstPaymentAmount; the hash binds every amount and date.
      const first = (initiation.FirstPaymentAmount ?? {}) as Record<string, unknown>;
      const debtor = initiation.DebtorAccount as Record<string, unknown> | undefined;
      return {
        debtorAccount: debtor ? { schemeName: text(debtor.SchemeName), identification: text(debtor.Identification) } : null,
        money: { amount: text(first.Amount), currency: text(first.Currency) },
      };
    }
    case 'funds-confirmation': {
      const debtor = (initiation.DebtorAccount ?? {}) as Record<string, unknown>;
      return { debtorAccount: { schemeName: text(debtor.SchemeName), identification: text(debtor.Identification) }, money: null };
    }
    default: {
      const unhandled: never = kind;
      throw new Error(`unknown payment consent kind ${String(unhandled)}`);
    }
  }
}
