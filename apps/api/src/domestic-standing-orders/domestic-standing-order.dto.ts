import { CodePointLength, IsObDateTime } from '@consentry/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsOptional, IsString } from 'class-validator';

import {
  CreditorAccountDto,
  DebtorAccountDto,
  InstructedAmountDto,
  OBRisk1Dto,
  OptionalNested,
  RemittanceInformationDto,
  RequiredNested,
} from '../domestic-payments/domestic-payment.dto.js';

/**
 * OBFrequency6. The Type is checked against the codes the bank runs in libs/consents
 * (standing-order-frequency.ts: 400 U025 for the others); CountPerPeriod and PointInTime are refused as
 * unexpected (U005) because the bank does not act on them.
 */
export class FrequencyDto {
  @ApiProperty({ description: 'OBFrequency6Code: DAIL, WEEK, FRTN, MNTH, QURT, MIAN or YEAR run; the others are 400 U025' })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  Type!: string;
}

/**
 * OBMandateRelatedInformation1. FirstPaymentDateTime is required here (optional in the spec): a standing
 * order must say when it starts. MandateIdentification, Classification and CategoryPurposeCode are refused (U005).
 */
export class MandateRelatedInformationDto {
  @RequiredNested(() => FrequencyDto)
  Frequency!: FrequencyDto;

  @ApiProperty({ format: 'date-time' })
  @IsDefined()
  @IsObDateTime()
  FirstPaymentDateTime!: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsObDateTime()
  RecurringPaymentDateTime?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsObDateTime()
  FinalPaymentDateTime?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 256 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 256)
  Reason?: string;
}

/** The standing order Initiation (OBWriteDomesticStandingOrderConsent5.Data.Initiation), without the fields the bank does not act on. */
export class StandingOrderInitiationDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 35 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 35)
  NumberOfPayments?: string;

  @RequiredNested(() => InstructedAmountDto)
  FirstPaymentAmount!: InstructedAmountDto;

  @OptionalNested(() => InstructedAmountDto)
  RecurringPaymentAmount?: InstructedAmountDto;

  @OptionalNested(() => InstructedAmountDto)
  FinalPaymentAmount?: InstructedAmountDto;

  @OptionalNested(() => DebtorAccountDto)
  DebtorAccount?: DebtorAccountDto;

  @RequiredNested(() => CreditorAccountDto)
  CreditorAccount!: CreditorAccountDto;

  @OptionalNested(() => RemittanceInformationDto)
  RemittanceInformation?: RemittanceInformationDto;

  @RequiredNested(() => MandateRelatedInformationDto)
  MandateRelatedInformation!: MandateRelatedInformationDto;
}

/** OBWriteDomesticStandingOrderConsent5.Data (Authorisation and SCASupportData are not supported yet). */
export class StandingOrderConsentDataDto {
  @ApiProperty({ enum: ['Create'] })
  @IsDefined()
  @IsIn(['Create'])
  Permission!: 'Create';

  @ApiPropertyOptional({ enum: ['No', 'Yes'] })
  @IsOptional()
  @IsIn(['No', 'Yes'])
  ReadRefundAccount?: 'No' | 'Yes';

  @RequiredNested(() => StandingOrderInitiationDto)
  Initiation!: StandingOrderInitiationDto;
}

/** OBWriteDomesticStandingOrderConsent5: the body of POST /domestic-standing-order-consents. */
export class OBWriteDomesticStandingOrderConsent5Dto {
  @RequiredNested(() => StandingOrderConsentDataDto)
  Data!: StandingOrderConsentDataDto;

  @RequiredNested(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}

/** OBWriteDomesticStandingOrder3.Data */
export class StandingOrderDataDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 128)
  ConsentId!: string;

  @RequiredNested(() => StandingOrderInitiationDto)
  Initiation!: StandingOrderInitiationDto;
}

/** OBWriteDomesticStandingOrder3: the body of POST /domestic-standing-orders. */
export class OBWriteDomesticStandingOrder3Dto {
  @RequiredNested(() => StandingOrderDataDto)
  Data!: StandingOrderDataDto;

  @RequiredNested(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}
