import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { sendPage } from '../dashboard/page-response.js';
import { exportRefusedPage } from './admin-console.views.js';
import { AuditExportException, AuditExportExceptionCode } from './audit-export.exception.js';

function unreachable(value: never): never {
  throw new Error(`unhandled code ${String(value)}`);
}

/** A refused export in the console: a page saying how to narrow the search. */
@Catch(AuditExportException)
export class AuditExportPageFilter implements ExceptionFilter {
  catch(exception: AuditExportException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    switch (exception.code) {
      case AuditExportExceptionCode.TooLarge:
        return sendPage(reply, 422, exportRefusedPage(`${exception.message}.`));
      default:
        unreachable(exception.code);
    }
  }
}
