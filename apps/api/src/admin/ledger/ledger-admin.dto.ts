import { REIDENTIFIABLE_SCHEMES, ReidentifiableScheme } from '@consentry/banking';
import { IsAccountIdentification, MaxCodePoints } from '@consentry/validation';
import { IsIn, IsNotEmpty, IsString, Matches } from 'class-validator';

/** Body of POST /admin/ledger/accounts/{accountId}/identification: the account's new scheme and identification. */
export class ReidentifyLedgerAccountDto {
  @IsIn(REIDENTIFIABLE_SCHEMES)
  SchemeName!: ReidentifiableScheme;

  // A sort code and account number (14 digits) or an IBAN (up to 34 letters and digits): OB's Max256Text, narrowed.
  @IsString()
  @IsNotEmpty()
  @MaxCodePoints(34)
  @Matches(/^[A-Z0-9]+$/, { message: 'Identification must be letters A-Z and digits only' })
  // In its scheme's form, as a TPP must write it to name the account (since 7 December 2026: an IBAN with
  // wrong check digits was taken here, and the account could then be named by no consent).
  @IsAccountIdentification()
  Identification!: string;
}
