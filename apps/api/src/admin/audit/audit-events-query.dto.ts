import { AUDIT_EVENT_TYPES } from '@consentry/audit';
import { IsObDateTime, MaxCodePoints } from '@consentry/validation';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

export const AUDIT_EVENTS_MAX_LIMIT = 500;
export const AUDIT_EVENTS_DEFAULT_LIMIT = 100;

/** The audit-log filters shared by the admin's listing and export. */
export class AuditFilterQueryDto {
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: string;

  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  clientId?: string;

  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  psuId?: string;

  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  consentId?: string;

  @IsOptional()
  @IsObDateTime()
  from?: string;

  @IsOptional()
  @IsObDateTime()
  to?: string;
}

/** Filters of GET /admin/audit-events; `after` is the last `seq` of the previous page. */
export class AuditEventsQueryDto extends AuditFilterQueryDto {
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'after must be a sequence number' })
  after?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_EVENTS_MAX_LIMIT)
  limit?: number;
}
