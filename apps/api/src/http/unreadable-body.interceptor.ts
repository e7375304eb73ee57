import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';

import { unreadableBodyMessage } from './json-body.parser.js';

/**
 * Refuses an Open Banking request whose JSON body the parser could not read (registerJsonBodyParser)
 * with 400 U010. Nest runs interceptors after every guard and before the pipes, so this is the first
 * body check (step 4 of issue 12's order): a token (401/403), a header (U007) or a signature over the
 * raw bytes (U019-U015) is refused first, and a body that is JSON goes on to the validation pipe.
 */
@Injectable()
export class UnreadableBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reason = context.switchToHttp().getRequest<FastifyRequest>().unreadableBody;
    if (reason) throw ObErrorException.badRequest(ObErrorCode.ResourceInvalidFormat, unreadableBodyMessage(reason));
    return next.handle();
  }
}
