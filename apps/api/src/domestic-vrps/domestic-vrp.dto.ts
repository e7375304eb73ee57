import { VRP_PERIOD_ALIGNMENTS, VRP_PERIOD_TYPES, VRP_TYPES } from '@consentry/consents';
import { CodePointLength, IsActiveCurrencyCode, IsObDateTime } from '@consentry/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsIn, IsObject, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';

import {
  CashAccountFieldsDto,
  CreditorAccountDto,
  InstructedAmountDto,
  LOCAL_INSTRUMENTS,
  OBRisk1Dto,
  RemittanceInformationDto,
} from '../domestic-payments/domestic-payment.dto.js';

// OB v4.0 (vrp-openapi.yaml) simple types.
const AMOUNT = /^\d{1,13}$|^\d{1,13}\.\d{1,5}$/;
const CURRENCY = /^[A-Z]{3,3}$/;
const AUTHENTICATION_METHODS = ['UK.OBIE.SCA', 'UK.OBIE.SCANotRequired'] as const;
const INTERACTION_TYPES = ['InSession', 'OffSession'] as const;

/** OBCashAccountDebtorWithName: a VRP's DebtorAccount names its holder. */
export class VrpDebtorAccountDto extends CashAccountFieldsDto {
  @ApiProperty({ minLength: 1, maxLength: 70 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 70)
  Name!: string;
}

/** One of OBDomesticVRPControlParameters.PeriodicLimits. */
export class PeriodicLimitDto {
  @ApiProperty({ enum: VRP_PERIOD_TYPES })
  @IsDefined()
  @IsIn(VRP_PERIOD_TYPES)
  PeriodType!: (typeof VRP_PERIOD_TYPES)[number];

  @ApiProperty({ enum: VRP_PERIOD_ALIGNMENTS })
  @IsDefined()
  @IsIn(VRP_PERIOD_ALIGNMENTS)
  PeriodAlignment!: (typeof VRP_PERIOD_ALIGNMENTS)[number];

  @ApiProperty({ pattern: AMOUNT.source })
  @IsDefined()
  @IsString()
  @Matches(AMOUNT)
  Amount!: string;

  @ApiProperty({ pattern: CURRENCY.source })
  @IsDefined()
  @IsString()
  @IsActiveCurrencyCode()
  Currency!: string;
}

/** OBDomesticVRPControlParameters (SupplementaryData is refused as unexpected: the bank does not act on it). */
export class VrpControlParametersDto {
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsObDateTime()
  ValidFromDateTime?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsObDateTime()
  ValidToDateTime?: string;

  @ApiProperty({ type: () => InstructedAmountDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => InstructedAmountDto)
  MaximumIndividualAmount!: InstructedAmountDto;

  @ApiProperty({ type: () => [PeriodicLimitDto] })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(12)
  @ValidateNested({ each: true })
  @Type(() => PeriodicLimitDto)
  PeriodicLimits!: PeriodicLimitDto[];

  @ApiProperty({ enum: VRP_TYPES, isArray: true })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsIn(VRP_TYPES, { each: true })
  VRPType!: string[];

  @ApiProperty({ enum: AUTHENTICATION_METHODS, isArray: true })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(2)
  @IsIn(AUTHENTICATION_METHODS, { each: true })
  PSUAuthenticationMethods!: string[];

  @ApiPropertyOptional({ enum: INTERACTION_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(2)
  @IsIn(INTERACTION_TYPES, { each: true })
  PSUInteractionTypes?: string[];
}

/**
 * OBDomesticVRPInitiation: the debtor (optional: the PSU picks it at approval) and the creditor
 * (optional: a consent may leave it to each VRP's Instruction). CreditorPostalAddress, UltimateCreditor,
 * UltimateDebtor and RegulatoryReporting are refused as unexpected (U005).
 */
export class VrpInitiationDto {
  @ApiPropertyOptional({ type: () => VrpDebtorAccountDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpDebtorAccountDto)
  DebtorAccount?: VrpDebtorAccountDto;

  @ApiPropertyOptional({ type: () => CreditorAccountDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CreditorAccountDto)
  CreditorAccount?: CreditorAccountDto;

  @ApiPropertyOptional({ type: () => RemittanceInformationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RemittanceInformationDto)
  RemittanceInformation?: RemittanceInformationDto;
}

export class VrpConsentDataDto {
  @ApiPropertyOptional({ enum: ['No', 'Yes'] })
  @IsOptional()
  @IsIn(['No', 'Yes'])
  ReadRefundAccount?: 'No' | 'Yes';

  @ApiProperty({ type: () => VrpControlParametersDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpControlParametersDto)
  ControlParameters!: VrpControlParametersDto;

  @ApiProperty({ type: () => VrpInitiationDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpInitiationDto)
  Initiation!: VrpInitiationDto;
}

/** OBDomesticVRPConsentRequest: the body of POST /domestic-vrp-consents. */
export class OBDomesticVRPConsentRequestDto {
  @ApiProperty({ type: () => VrpConsentDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpConsentDataDto)
  Data!: VrpConsentDataDto;

  @ApiProperty({ type: () => OBRisk1Dto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}

/** OBDomesticVRPInstruction (CreditorPostalAddress, UltimateCreditor, SupplementaryData refused as unexpected). */
export class VrpInstructionDto {
  @ApiPropertyOptional({ enum: LOCAL_INSTRUMENTS })
  @IsOptional()
  @IsIn(LOCAL_INSTRUMENTS)
  LocalInstrument?: string;

  @ApiProperty({ minLength: 1, maxLength: 35 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  InstructionIdentification!: string;

  @ApiProperty({ minLength: 1, maxLength: 35 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  EndToEndIdentification!: string;

  @ApiPropertyOptional({ type: () => RemittanceInformationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RemittanceInformationDto)
  RemittanceInformation?: RemittanceInformationDto;

  @ApiProperty({ type: () => InstructedAmountDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => InstructedAmountDto)
  InstructedAmount!: InstructedAmountDto;

  @ApiProperty({ type: () => CreditorAccountDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => CreditorAccountDto)
  CreditorAccount!: CreditorAccountDto;
}

export class VrpRequestDataDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 128)
  ConsentId!: string;

  @ApiProperty({ enum: AUTHENTICATION_METHODS })
  @IsDefined()
  @IsIn(AUTHENTICATION_METHODS)
  PSUAuthenticationMethod!: string;

  @ApiPropertyOptional({ enum: INTERACTION_TYPES })
  @IsOptional()
  @IsIn(INTERACTION_TYPES)
  PSUInteractionType?: string;

  @ApiProperty({ enum: VRP_TYPES })
  @IsDefined()
  @IsIn(VRP_TYPES)
  VRPType!: string;

  @ApiProperty({ type: () => VrpInitiationDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpInitiationDto)
  Initiation!: VrpInitiationDto;

  @ApiProperty({ type: () => VrpInstructionDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpInstructionDto)
  Instruction!: VrpInstructionDto;
}

/** OBDomesticVRPRequest: the body of POST /domestic-vrps. */
export class OBDomesticVRPRequestDto {
  @ApiProperty({ type: () => VrpRequestDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpRequestDataDto)
  Data!: VrpRequestDataDto;

  @ApiProperty({ type: () => OBRisk1Dto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}

export class VrpFundsConfirmationDataDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 128)
  ConsentId!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 35 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 35)
  Reference?: string;

  @ApiProperty({ type: () => InstructedAmountDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => InstructedAmountDto)
  InstructedAmount!: InstructedAmountDto;
}

/** OBVRPFundsConfirmationRequest: the body of POST /domestic-vrp-consents/{ConsentId}/funds-confirmation. */
export class OBVRPFundsConfirmationRequestDto {
  @ApiProperty({ type: () => VrpFundsConfirmationDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => VrpFundsConfirmationDataDto)
  Data!: VrpFundsConfirmationDataDto;
}
