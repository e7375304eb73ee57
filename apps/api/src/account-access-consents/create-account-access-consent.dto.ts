import { PERMISSIONS } from '@consentry/consents';
import { IsObDateTime, IsObPermission } from '@consentry/validation';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsDefined, IsObject, IsOptional, ValidateNested } from 'class-validator';

/** OBReadConsent1.Data */
export class OBReadConsent1DataDto {
  @ApiProperty({ enum: PERMISSIONS, isArray: true, description: 'OBInternalPermissions1Code; combinations follow the OB dependency rules' })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @IsObPermission(PERMISSIONS, { each: true })
  Permissions!: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'ISO 8601 with a timezone' })
  @IsOptional()
  @IsObDateTime()
  ExpirationDateTime?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'ISO 8601 with a timezone' })
  @IsOptional()
  @IsObDateTime()
  TransactionFromDateTime?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'ISO 8601 with a timezone' })
  @IsOptional()
  @IsObDateTime()
  TransactionToDateTime?: string;
}

/** OBRisk2: an empty object for account information (additionalProperties: false). */
export class OBRisk2Dto {}

/** OBReadConsent1: the body of POST /account-access-consents. */
export class OBReadConsent1Dto {
  @ApiProperty({ type: () => OBReadConsent1DataDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OBReadConsent1DataDto)
  Data!: OBReadConsent1DataDto;

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OBRisk2Dto)
  @ApiProperty({ type: () => OBRisk2Dto, description: 'Empty for account information' })
  Risk!: OBRisk2Dto;
}
