import { IsObDateTime } from '@consentry/validation';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { PAYMENT_STATUSES, PaymentStatus } from '../../payment-views/payment-rows.js';

export const ADMIN_PAYMENTS_DEFAULT_LIMIT = 50;
export const ADMIN_PAYMENTS_MAX_LIMIT = 200;

/** Filters of GET /admin/payments; every one narrows, none is required. `cursor` is the previous page's `next`. */
export class AdminPaymentsQueryDto {
  @IsOptional()
  @IsIn(PAYMENT_STATUSES)
  status?: PaymentStatus;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  clientId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  consentId?: string;

  /** Created at or after (ISO 8601 with offset). */
  @IsOptional()
  @IsObDateTime()
  from?: string;

  /** Created at or before (ISO 8601 with offset). */
  @IsOptional()
  @IsObDateTime()
  to?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a page cursor from this API' })
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ADMIN_PAYMENTS_MAX_LIMIT)
  limit?: number;
}
