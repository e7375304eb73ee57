import { MaxCodePoints, MinCodePoints } from '@consentry/validation';
import { IsString } from 'class-validator';

import { KeysetPageQueryDto } from '../http/keyset-page-query.dto.js';

export const PAYMENT_REVIEWS_DEFAULT_LIMIT = 50;
export const PAYMENT_REVIEWS_MAX_LIMIT = 200;

/** GET /admin/payment-reviews: held payments, oldest first; `cursor` is the previous page's `next`. */
export class PaymentReviewsQueryDto extends KeysetPageQueryDto(PAYMENT_REVIEWS_MAX_LIMIT) {}

/** The body of a release or a reject: why, in the admin's words (kept with the review, not in the audit payload). */
export class PaymentReviewDecisionDto {
  @IsString()
  @MinCodePoints(3)
  @MaxCodePoints(500)
  reason!: string;
}
