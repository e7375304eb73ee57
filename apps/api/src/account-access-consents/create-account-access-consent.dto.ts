import { PERMISSIONS } from '@consentry/consents';
import { IsObDateTime, IsObPermission } from '@consentry/validation';
import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsDefined, IsObject, IsOptional, ValidateNested } from 'class-validator';

/** OBReadConsent1.Data */
export class OBReadConsent1DataDto {
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @IsObPermission(PERMISSIONS, { each: true })
  Permissions!: string[];

  @IsOptional()
  @IsObDateTime()
  ExpirationDateTime?: string;

  @IsOptional()
  @IsObDateTime()
  TransactionFromDateTime?: string;

  @IsOptional()
  @IsObDateTime()
  TransactionToDateTime?: string;
}

/** OBRisk2: an empty object for account information (additionalProperties: false). */
export class OBRisk2Dto {}

/** OBReadConsent1: the body of POST /account-access-consents. */
export class OBReadConsent1Dto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OBReadConsent1DataDto)
  Data!: OBReadConsent1DataDto;

  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => OBRisk2Dto)
  Risk!: OBRisk2Dto;
}
