import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { AuditExportException, AuditExportExceptionCode } from './audit-export.exception.js';

function unreachable(value: never): never {
  throw new Error(`unhandled code ${String(value)}`);
}

/** A refused export on the admin API, as the admin API's plain problem body `{ error, message }`. */
@Catch(AuditExportException)
export class AuditExportProblemFilter implements ExceptionFilter {
  catch(exception: AuditExportException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    switch (exception.code) {
      case AuditExportExceptionCode.TooLarge:
        void reply.status(422).header('cache-control', 'no-store').send({ error: 'export_too_large', message: exception.message });
        return;
      default:
        unreachable(exception.code);
    }
  }
}
