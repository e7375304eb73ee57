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

/**
 * Where the ledger stores card numbers encrypted, and each row's context: what a key rotation
 * re-encrypts (structurally @consentry/identity's CiphertextColumn).
 */
export const LEDGER_CIPHERTEXT_COLUMNS: readonly { table: string; idColumn: string; valueColumn: string; where: string; context(id: string): string }[] = [
  { table: 'account', idColumn: 'account_id', valueColumn: 'identification', where: `scheme_name = '${PAN_SCHEME}'`, context: panContext },
  ...(['beneficiary', 'standing_order', 'scheduled_payment'] as const).map((table) => ({
    table,
    idColumn: `${table}_id`,
    valueColumn: 'creditor_identification',
    where: `creditor_scheme_name = '${PAN_SCHEME}'`,
    // The owner names of SandboxLedgerConnector: beneficiary:<id>, standing-order:<id>, scheduled-payment:<id>.
    context: (id: string) => creditorPanContext(`${table.replace('_', '-')}:${id}`),
  })),
];
