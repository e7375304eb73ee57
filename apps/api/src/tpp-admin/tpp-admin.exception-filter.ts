import { TppException, TppExceptionCode } from '@consentry/tpps';
import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { ProblemBody } from '../http/problem-exception.filter.js';

function unreachable(value: never): never {
  throw new Error(`unhandled code ${String(value)}`);
}

function answer(exception: TppException): { status: number; body: ProblemBody } {
  switch (exception.code) {
    case TppExceptionCode.NotFound:
      return { status: 404, body: { error: 'not_found', message: exception.message } };
    case TppExceptionCode.InvalidStatus:
      return { status: 409, body: { error: 'invalid_status', message: exception.message } };
    case TppExceptionCode.InvalidRequest:
      return { status: 400, body: { error: 'invalid_request', message: exception.message } };
    default:
      return unreachable(exception.code);
  }
}

/** The admin API's plain problem body (`{ error, message }`) for TPP admin refusals; others fall through to the app's filter. */
@Catch(TppException)
export class TppAdminExceptionFilter implements ExceptionFilter {
  catch(exception: TppException, host: ArgumentsHost): void {
    const { status, body } = answer(exception);
    void host.switchToHttp().getResponse<FastifyReply>().status(status).header('cache-control', 'no-store').send(body);
  }
}
