import { BankCreditorAccount } from '@consentry/banking';

/** OBCashAccount5 of a creditor, in clear; the permission rules mask a card number without ReadPAN. */
export function obCreditorAccount(account: BankCreditorAccount): Record<string, unknown> {
  return { SchemeName: account.schemeName, Identification: account.identification, ...(account.name ? { Name: account.name } : {}) };
}
