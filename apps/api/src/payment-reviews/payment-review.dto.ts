import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';

export const PAYMENT_REVIEWS_DEFAULT_LIMIT = 50;
export const PAYMENT_REVIEWS_MAX_LIMIT = 200;

/** GET /admin/payment-reviews: held payments, oldest first; `cursor` is the previous page's `next`. */
export class PaymentReviewsQueryDto {
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a page cursor from this API' })
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAYMENT_REVIEWS_MAX_LIMIT)
  limit?: number;
}

/** The body of a release or a reject: why, in the admin's words (kept with the review, not in the audit payload). */
export class PaymentReviewDecisionDto {
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;
}
