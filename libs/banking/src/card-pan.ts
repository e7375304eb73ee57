/**
 * Key-management context of a card account's PAN: binds the ciphertext to its account, so a PAN copied
 * to another row does not decrypt. The sandbox seeder encrypts with the same context.
 */
export function panContext(accountId: string): string {
  return `account:${accountId}:pan`;
}

/** Key-management context of a creditor's card number (a beneficiary, standing order or scheduled payment). */
export function creditorPanContext(owner: string): string {
  return `${owner}:creditor-pan`;
}

/** What the ledger needs from key management: decrypting a PAN (structurally @consentry/identity's KeyManagement). */
export interface PanDecryptor {
  decrypt(ciphertext: string, context: string): string;
}

export const PAN_SCHEME = 'UK.OBIE.PAN';
