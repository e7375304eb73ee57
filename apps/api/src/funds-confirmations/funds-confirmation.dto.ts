import { CodePointLength, IsObDateTime } from '@consentry/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

import { DebtorAccountDto, InstructedAmountDto } from '../domestic-payments/domestic-payment.dto.js';

/** OBFundsConfirmationConsent1.Data (Proxy is not supported: refused as unexpected, U005). */
export class FundsConfirmationConsentDataDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'ISO 8601 with a timezone; open-ended when absent' })
  @IsOptional()
  @IsObDateTime()
  ExpirationDateTime?: string;

  @ApiProperty({ type: () => DebtorAccountDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => DebtorAccountDto)
  DebtorAccount!: DebtorAccountDto;
}

/** OBFundsConfirmationConsent1: the body of POST /funds-confirmation-consents. */
export class OBFundsConfirmationConsent1Dto {
  @ApiProperty({ type: () => FundsConfirmationConsentDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => FundsConfirmationConsentDataDto)
  Data!: FundsConfirmationConsentDataDto;
}

/** OBFundsConfirmation1.Data */
export class FundsConfirmationDataDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 128)
  ConsentId!: string;

  @ApiProperty({ minLength: 1, maxLength: 35 })
  @IsDefined()
  @IsString()
  @CodePointLength(1, 35)
  Reference!: string;

  @ApiProperty({ type: () => InstructedAmountDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => InstructedAmountDto)
  InstructedAmount!: InstructedAmountDto;
}

/** OBFundsConfirmation1: the body of POST /funds-confirmations. */
export class OBFundsConfirmation1Dto {
  @ApiProperty({ type: () => FundsConfirmationDataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => FundsConfirmationDataDto)
  Data!: FundsConfirmationDataDto;
}
