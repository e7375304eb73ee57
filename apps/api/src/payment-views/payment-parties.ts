import { maskAccountNumber, redactText } from '@consentry/redaction';

/**
 * A payee as the people's pages show it: the name the TPP gave, with any card number in it masked as the
 * audit log masks free text (a TPP writes the name), and the account masked to its last four characters
 * (libs/redaction's rule). Never a full number, on any page or in any customer or admin API answer.
 */
export interface MaskedPayee {
  name: string;
  /** e.g. `**********5678`. */
  account: string;
}

/** The masked payee of an OB CreditorAccount as stored (in an Initiation or an Instruction); null when there is none. */
export function maskedPayee(creditorAccount: unknown): MaskedPayee | null {
  if (creditorAccount === null || typeof creditorAccount !== 'object') return null;
  const account = creditorAccount as { Name?: unknown; Identification?: unknown };
  const identification = typeof account.Identification === 'string' ? account.Identification : '';
  return { name: typeof account.Name === 'string' ? redactText(account.Name) : '', account: maskAccountNumber(identification) };
}
