import { isCustomerIpAddress, isFapiAuthDate } from '@consentry/validation';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { SecurityException, SecurityExceptionCode } from './security.exception.js';

export const CUSTOMER_IP_HEADER = 'x-fapi-customer-ip-address';
export const AUTH_DATE_HEADER = 'x-fapi-auth-date';

/**
 * First guard of every OB route: the optional FAPI headers, when sent, must be well formed (a repeated
 * header arrives as an array and is refused too). A present customer IP marks the call PSU-present.
 */
@Injectable()
export class FapiHeadersGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { headers } = context.switchToHttp().getRequest<FastifyRequest>();
    const authDate = headers[AUTH_DATE_HEADER];
    if (authDate !== undefined && !isFapiAuthDate(authDate)) {
      throw new SecurityException(SecurityExceptionCode.FapiHeaderInvalid, `${AUTH_DATE_HEADER} must be an RFC 7231 date such as "Sun, 10 Sep 2017 19:43:31 GMT"`, AUTH_DATE_HEADER);
    }
    const customerIp = headers[CUSTOMER_IP_HEADER];
    if (customerIp !== undefined && !isCustomerIpAddress(customerIp)) {
      throw new SecurityException(SecurityExceptionCode.FapiHeaderInvalid, `${CUSTOMER_IP_HEADER} must be an IPv4 or IPv6 address`, CUSTOMER_IP_HEADER);
    }
    return true;
  }
}
