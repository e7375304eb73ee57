import { CodePointLength, IsObDateTime } from '@consentry/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Equals, IsDefined, IsIn, IsOptional, IsString } from 'class-validator';

import { DomesticInitiationFieldsDto, OBRisk1Dto, RequiredNested } from '../domestic-payments/domestic-payment.dto.js';

/** OBWriteDomesticScheduled2.Data.Initiation and the consent's: the domestic fields and the date it runs on. */
export class ScheduledInitiationDto extends DomesticInitiationFieldsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 35 })
  @IsOptional()
  @IsString()
  @CodePointLength(1, 35)
  EndToEndIdentification?: string;

  @ApiProperty({ format: 'date-time', example: '2027-01-15T09:00:00+00:00' })
  @IsDefined()
  @IsObDateTime()
  RequestedExecutionDateTime!: string;
}

/** OBWriteDomesticScheduledConsent4.Data (Authorisation and SCASupportData are not supported yet). */
export class ScheduledConsentDataDto {
  @ApiProperty({ enum: ['Create'] })
  @IsDefined()
  @Equals('Create')
  Permission!: 'Create';

  @ApiPropertyOptional({ enum: ['No', 'Yes'] })
  @IsOptional()
  @IsIn(['No', 'Yes'])
  ReadRefundAccount?: 'No' | 'Yes';

  @RequiredNested(() => ScheduledInitiationDto)
  Initiation!: ScheduledInitiationDto;
}

/** OBWriteDomesticScheduledConsent4: the body of POST /domestic-scheduled-payment-consents. */
export class OBWriteDomesticScheduledConsent4Dto {
  @RequiredNested(() => ScheduledConsentDataDto)
  Data!: ScheduledConsentDataDto;

  @RequiredNested(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}

/** OBWriteDomesticScheduled2.Data */
export class ScheduledPaymentDataDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 128)
  ConsentId!: string;

  @RequiredNested(() => ScheduledInitiationDto)
  Initiation!: ScheduledInitiationDto;
}

/** OBWriteDomesticScheduled2: the body of POST /domestic-scheduled-payments. */
export class OBWriteDomesticScheduled2Dto {
  @RequiredNested(() => ScheduledPaymentDataDto)
  Data!: ScheduledPaymentDataDto;

  @RequiredNested(() => OBRisk1Dto)
  Risk!: OBRisk1Dto;
}
