import { CodePointLength, IsAccountIdentification, IsActiveCurrencyCode, IsIdentificationText } from '@consentry/validation';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsDefined, IsIn, IsObject, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';

// OB v4.0 simple types (payment-initiation-openapi.yaml).
const AMOUNT = /^\d{1,13}$|^\d{1,13}\.\d{1,5}$/;
const CURRENCY = /^[A-Z]{3,3}$/;
/** OBInternalAccountIdentification4Code. */
export const ACCOUNT_SCHEMES = ['UK.OBIE.BBAN', 'UK.OBIE.IBAN', 'UK.OBIE.PAN', 'UK.OBIE.Paym', 'UK.OBIE.SortCodeAccountNumber', 'UK.OBIE.Wallet'] as const;
/** OBInternalLocalInstrument1Code. */
export const LOCAL_INSTRUMENTS = [
  'UK.OBIE.BACS',
  'UK.OBIE.BalanceTransfer',
  'UK.OBIE.CHAPS',
  'UK.OBIE.Euro1',
  'UK.OBIE.FPS',
  'UK.OBIE.Link',
  'UK.OBIE.MoneyTransfer',
  'UK.OBIE.Paym',
  'UK.OBIE.SEPACreditTransfer',
  'UK.OBIE.SEPAInstantCreditTransfer',
  'UK.OBIE.SWIFT',
  'UK.OBIE.Target2',
] as const;
const PAYMENT_CONTEXT_CODES = [
  'BillingGoodsAndServicesInAdvance',
  'BillingGoodsAndServicesInArrears',
  'EcommerceMerchantInitiatedPayment',
  'FaceToFacePointOfSale',
  'TransferToSelf',
  'TransferToThirdParty',
] as const;
// ISO 20022 ExternalPurpose1Code: four capitals. The spec's enum is, in its own words, a partial list of
// the external code set, so any code of its form is taken.
const EXTERNAL_PURPOSE_CODE = /^[A-Z]{4}$/;
/** ExternalCategoryPurpose1Code, as the spec lists it. */
const CATEGORY_PURPOSE_CODES = [
  'BONU', 'CASH', 'CBLK', 'CCRD', 'CGWV', 'CIPC', 'CONC', 'CORT', 'DCRD', 'DIVI', 'DVPM', 'EPAY', 'FCDT', 'FCIN', 'FCOL',
  'GOVT', 'GP2P', 'HEDG', 'ICCP', 'IDCP', 'INTC', 'INTE', 'LBOX', 'LOAN', 'MP2B', 'MP2P', 'OTHR', 'PENS', 'RPRE', 'RRCT',
  'RVPM', 'SALA', 'SECU', 'SSBE', 'SUPP', 'SWEP', 'TAXS', 'TOPG', 'TRAD', 'TREA', 'VATX', 'VOST', 'WHLD', 'ZABA',
] as const;
/** OBInternalExtendedAccountType1Code. */
const EXTENDED_ACCOUNT_TYPES = [
  'Business', 'BusinessSavingsAccount', 'Charity', 'Collection', 'Corporate', 'Ewallet', 'Government', 'Investment', 'ISA',
  'JointPersonal', 'Pension', 'Personal', 'PersonalSavingsAccount', 'Premier', 'Wealth',
] as const;

type DtoClass = new () => object;

/**
 * The Swagger metadata of a member holding an object of the class `type` returns. @nestjs/swagger calls
 * a `type` function lazily only when the function's own name is `type` (it tells a thunk from a class that
 * way); the thunk a caller passes in is anonymous, so without this wrapper the class is never resolved and
 * the member's $ref names no schema ("#/components/schemas/").
 */
function lazySchemaType(type: () => DtoClass): { type: () => DtoClass } {
  return { type: () => type() };
}

/** A required member holding an object of the OB schema `type`, validated in depth. */
export function RequiredNested(type: () => DtoClass): PropertyDecorator {
  return applyDecorators(ApiProperty(lazySchemaType(type)), IsDefined(), IsObject(), ValidateNested(), Type(type));
}

/** An optional member holding an object of the OB schema `type`, validated in depth when present. */
export function OptionalNested(type: () => DtoClass): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional(lazySchemaType(type)), IsOptional(), IsObject(), ValidateNested(), Type(type));
}

export class InstructedAmountDto {
  @ApiProperty({ pattern: AMOUNT.source, example: '10.50' })
  @IsDefined()
  @IsString()
  @Matches(AMOUNT)
  Amount!: string;

  @ApiProperty({ pattern: CURRENCY.source, example: 'GBP' })
  @IsDefined()
  @IsString()
  @IsActiveCurrencyCode()
  Currency!: string;
}

/**
 * What every OB cash account names but its holder. Each account DTO adds its own `Name`: class-validator
 * merges a subclass's rules with its parent's, and a parent's `@IsOptional` skipped a subclass's
 * `@IsDefined` (until 7 December 2026 a creditor's or VRP debtor's required Name could be left out, and
 * the answers then broke their own schema).
 */
export abstract class CashAccountFieldsDto {
  @ApiProperty({ enum: ACCOUNT_SCHEMES })
  @IsDefined()
  @IsIn(ACCOUNT_SCHEMES)
  SchemeName!: string;

  // The form SchemeName gives it, printable: the PSU approves the payee by it (PSD2 RTS Art. 5).
  @ApiProperty({ minLength: 1, maxLength: 256, description: 'UK.OBIE.SortCodeAccountNumber: 14 digits; UK.OBIE.IBAN: capitals and digits with valid check digits; UK.OBIE.PAN: 12 to 19 digits; any scheme: no control or format characters' })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 256)
  @IsAccountIdentification()
  Identification!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 34 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 34)
  @IsIdentificationText()
  SecondaryIdentification?: string;
}

/** OBCashAccountDebtor4: the holder's name is optional. */
export class DebtorAccountDto extends CashAccountFieldsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 350 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 350)
  Name?: string;
}

/** OBCashAccountCreditor3: the payee's name is required. */
export class CreditorAccountDto extends CashAccountFieldsDto {
  @ApiProperty({ minLength: 1, maxLength: 350 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 350)
  Name!: string;
}

/** OBRemittanceInformation2, unstructured lines only (Structured is not supported yet). */
export class RemittanceInformationDto {
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @CodePointLength(1, 140, { each: true })
  Unstructured?: string[];
}

/**
 * What every domestic Initiation holds (immediate and scheduled). Fields of the spec not listed here
 * (CreditorAgent, CreditorPostalAddress, UltimateCreditor, UltimateDebtor, RegulatoryReporting,
 * SupplementaryData, structured remittance) are refused as unexpected (U005): the bank does not act on
 * them yet, and a PSU must never approve a field that is then ignored.
 */
export class DomesticInitiationFieldsDto {
  @ApiProperty({ minLength: 1, maxLength: 35 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  InstructionIdentification!: string;

  @ApiPropertyOptional({ enum: LOCAL_INSTRUMENTS })
  @IsOptional()
  @IsIn(LOCAL_INSTRUMENTS)
  LocalInstrument?: string;

  @RequiredNested(() => InstructedAmountDto)
  InstructedAmount!: InstructedAmountDto;

  @OptionalNested(() => DebtorAccountDto)
  DebtorAccount?: DebtorAccountDto;

  @RequiredNested(() => CreditorAccountDto)
  CreditorAccount!: CreditorAccountDto;

  @OptionalNested(() => RemittanceInformationDto)
  RemittanceInformation?: RemittanceInformationDto;
}

/** The domestic Initiation (OBWriteDomestic2.Data.Initiation and the consent's): EndToEndIdentification required. */
export class DomesticInitiationDto extends DomesticInitiationFieldsDto {
  @ApiProperty({ minLength: 1, maxLength: 35 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  EndToEndIdentification!: string;
}

/** OBRisk1 without DeliveryAddress (a postal address the bank does not act on: refused, U005). */
export class OBRisk1Dto {
  @ApiPropertyOptional({ enum: PAYMENT_CONTEXT_CODES })
  @IsOptional()
  @IsIn(PAYMENT_CONTEXT_CODES)
  PaymentContextCode?: string;

  @ApiPropertyOptional({ minLength: 3, maxLength: 4 })
  @IsOptional()
  @IsString()
  @CodePointLength(3, 4)
  MerchantCategoryCode?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 70 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 70)
  MerchantCustomerIdentification?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  ContractPresentIndicator?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  BeneficiaryPrepopulatedIndicator?: boolean;

  // Until 7 December 2026 the next three were refused as unexpected (U005). DeliveryAddress still is: a
  // postal address is personal data the bank does not act on.
  @ApiPropertyOptional({ pattern: EXTERNAL_PURPOSE_CODE.source, description: 'ISO 20022 ExternalPurpose1Code' })
  @IsOptional()
  @IsString()
  @Matches(EXTERNAL_PURPOSE_CODE)
  PaymentPurposeCode?: string;

  @ApiPropertyOptional({ enum: CATEGORY_PURPOSE_CODES })
  @IsOptional()
  @IsIn(CATEGORY_PURPOSE_CODES)
  CategoryPurposeCode?: string;

  @ApiPropertyOptional({ enum: EXTENDED_ACCOUNT_TYPES })
  @IsOptional()
  @IsIn(EXTENDED_ACCOUNT_TYPES)
  BeneficiaryAccountType?: string;
}

/** OBWriteDomesticConsent4.Data (Authorisation and SCASupportData are not supported yet). */
export class DomesticConsentDataDto {
  @ApiPropertyOptional({ enum: ['No', 'Yes'] })
  @IsOptional()
  @IsIn(['No', 'Yes'])
  ReadRefundAccount?: 'No' | 'Yes';

  @RequiredNested(() => DomesticInitiationDto)
  Initiation!: DomesticInitiationDto;
}

/** OBWriteDomesticConsent4: the body of POST /domestic-payment-consents. */
export class OBWriteDomesticConsent4Dto {
  @RequiredNested(() => DomesticConsentDataDto)
  Data!: DomesticConsentDataDto;

  @RequiredNested(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}

/** OBWriteDomestic2.Data */
export class DomesticPaymentDataDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 128)
  ConsentId!: string;

  @RequiredNested(() => DomesticInitiationDto)
  Initiation!: DomesticInitiationDto;
}

/** OBWriteDomestic2: the body of POST /domestic-payments. */
export class OBWriteDomestic2Dto {
  @RequiredNested(() => DomesticPaymentDataDto)
  Data!: DomesticPaymentDataDto;

  @RequiredNested(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}
