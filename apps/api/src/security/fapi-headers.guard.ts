import { isCustomerIpAddress, isFapiAuthDate } from '@consentry/validation';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { singleHeader } from '../http/single-header.js';
import { SecurityException, SecurityExceptionCode } from './security.exception.js';

export const CUSTOMER_IP_HEADER = 'x-fapi-customer-ip-address';
export const AUTH_DATE_HEADER = 'x-fapi-auth-date';

type FapiHeader = typeof AUTH_DATE_HEADER | typeof CUSTOMER_IP_HEADER;

const repeated = (header: FapiHeader) => () => new SecurityException(SecurityExceptionCode.FapiHeaderInvalid, `${header} must be sent once`, header);

/**
 * First guard of every OB route: the optional FAPI headers, when sent, must be sent once and well formed.
 * A present customer IP marks the call PSU-present.
 */
@Injectable()
export class FapiHeadersGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authDate = singleHeader(request, AUTH_DATE_HEADER, repeated(AUTH_DATE_HEADER));
    if (authDate !== undefined && !isFapiAuthDate(authDate)) {
      throw new SecurityException(SecurityExceptionCode.FapiHeaderInvalid, `${AUTH_DATE_HEADER} must be an RFC 7231 date such as "Sun, 10 Sep 2017 19:43:31 GMT"`, AUTH_DATE_HEADER);
    }
    const customerIp = singleHeader(request, CUSTOMER_IP_HEADER, repeated(CUSTOMER_IP_HEADER));
    if (customerIp !== undefined && !isCustomerIpAddress(customerIp)) {
      throw new SecurityException(SecurityExceptionCode.FapiHeaderInvalid, `${CUSTOMER_IP_HEADER} must be an IPv4 or IPv6 address`, CUSTOMER_IP_HEADER);
    }
    return true;
  }
}
