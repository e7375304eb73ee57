import { IsObDateTime, MaxCodePoints } from '@consentry/validation';
import { IsIn, IsOptional, IsString } from 'class-validator';

import { KeysetPageQueryDto } from '../../http/keyset-page-query.dto.js';
import { PAYMENT_STATUSES, PaymentStatus } from '../../payment-views/payment-rows.js';

export const ADMIN_PAYMENTS_DEFAULT_LIMIT = 50;
export const ADMIN_PAYMENTS_MAX_LIMIT = 200;

/** Filters of GET /admin/payments; every one narrows, none is required. `cursor` is the previous page's `next`. */
export class AdminPaymentsQueryDto extends KeysetPageQueryDto(ADMIN_PAYMENTS_MAX_LIMIT) {
  @IsOptional()
  @IsIn(PAYMENT_STATUSES)
  status?: PaymentStatus;

  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  clientId?: string;

  @IsOptional()
  @IsString()
  @MaxCodePoints(200)
  consentId?: string;

  /** Created at or after (ISO 8601 with offset). */
  @IsOptional()
  @IsObDateTime()
  from?: string;

  /** Created at or before (ISO 8601 with offset). */
  @IsOptional()
  @IsObDateTime()
  to?: string;
}
