import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { FastifyReply } from 'fastify';
import { map, Observable } from 'rxjs';

import { UNAVAILABLE_ACCOUNTS_HEADER, unavailableAccountsOf } from './ob-response.js';

/**
 * A bulk read served without some accounts (their bank was down) says which in a response header: the
 * OB body has no place for it (Meta admits no extra fields), and the TPP must not mistake it for "none".
 */
@Injectable()
export class UnavailableAccountsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body: unknown) => {
        const unavailable = unavailableAccountsOf(body);
        if (unavailable.length > 0) context.switchToHttp().getResponse<FastifyReply>().header(UNAVAILABLE_ACCOUNTS_HEADER, unavailable.join(','));
        return body;
      }),
    );
  }
}
