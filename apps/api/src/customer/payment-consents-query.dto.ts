import { KeysetPageQueryDto } from '../http/keyset-page-query.dto.js';
import { CONSENT_PAYMENTS_MAX_LIMIT, PAYMENT_CONSENTS_MAX_LIMIT } from './customer-payment-consents.service.js';
import { CONSENTS_MAX_LIMIT } from './customer.service.js';

/** GET /customer/payment-consents. */
export class PaymentConsentsQueryDto extends KeysetPageQueryDto(PAYMENT_CONSENTS_MAX_LIMIT) {}

/** GET /customer/payment-consents/{ConsentId}/payments: `cursor` is `morePayments` or the previous page's `next`. */
export class ConsentPaymentsQueryDto extends KeysetPageQueryDto(CONSENT_PAYMENTS_MAX_LIMIT) {}

/** GET /customer/consents (account-access consents): `cursor` is the previous page's `next`. */
export class ConsentsQueryDto extends KeysetPageQueryDto(CONSENTS_MAX_LIMIT) {}
