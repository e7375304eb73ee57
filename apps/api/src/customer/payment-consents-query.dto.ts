import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

import { CONSENT_PAYMENTS_MAX_LIMIT, PAYMENT_CONSENTS_MAX_LIMIT } from './customer-payment-consents.service.js';
import { CONSENTS_MAX_LIMIT } from './customer.service.js';

/** A keyset page's query with its own largest page: `cursor` is the previous page's `next`. */
function PageQueryDto(maxLimit: number) {
  class PageQuery {
    // A cursor this API issued: base64url of a small JSON pair, decoded and checked by the service.
    @IsOptional()
    @Matches(/^[A-Za-z0-9_-]{1,200}$/, { message: 'cursor must be a page cursor from this API' })
    cursor?: string;

    @IsOptional()
    @Type(() => Number)
    @IsInt()
    @Min(1)
    @Max(maxLimit)
    limit?: number;
  }
  return PageQuery;
}

/** GET /customer/payment-consents. */
export class PaymentConsentsQueryDto extends PageQueryDto(PAYMENT_CONSENTS_MAX_LIMIT) {}

/** GET /customer/payment-consents/{ConsentId}/payments: `cursor` is `morePayments` or the previous page's `next`. */
export class ConsentPaymentsQueryDto extends PageQueryDto(CONSENT_PAYMENTS_MAX_LIMIT) {}

/** GET /customer/consents (account-access consents): `cursor` is the previous page's `next`. */
export class ConsentsQueryDto extends PageQueryDto(CONSENTS_MAX_LIMIT) {}
