import { IsString } from 'class-validator';

import { KeysetPageQueryDto } from '../http/keyset-page-query.dto.js';
import { IsReviewReason } from './review-reason.js';

export const PAYMENT_REVIEWS_DEFAULT_LIMIT = 50;
export const PAYMENT_REVIEWS_MAX_LIMIT = 200;

/** GET /admin/payment-reviews: held payments, oldest first; `cursor` is the previous page's `next`. */
export class PaymentReviewsQueryDto extends KeysetPageQueryDto(PAYMENT_REVIEWS_MAX_LIMIT) {}

/** The body of a release or a reject: why, in the admin's words (kept with the review, not in the audit payload). */
export class PaymentReviewDecisionDto {
  @IsString()
  @IsReviewReason()
  reason!: string;
}
