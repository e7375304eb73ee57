import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { OpenBankingExceptionFilter } from './open-banking-exception.filter.js';
import { ProblemExceptionFilter } from './problem-exception.filter.js';
import { RouteRegistry } from './route-registry.js';
import { routedPath } from './routed-path.js';

const PROBLEM_PREFIXES = ['/customer', '/admin'];

/**
 * Hands each error to its transport's filter by path, so errors raised before routing (404, 405, 413,
 * 415, malformed JSON) get the same shape as those of the handlers under that path.
 */
@Catch()
export class TransportExceptionFilter implements ExceptionFilter {
  private readonly openBanking: OpenBankingExceptionFilter;
  private readonly problem: ProblemExceptionFilter;

  constructor(routes: RouteRegistry) {
    this.openBanking = new OpenBankingExceptionFilter(routes);
    this.problem = new ProblemExceptionFilter(routes);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    const path = routedPath(request);
    const isProblemTransport = PROBLEM_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    (isProblemTransport ? this.problem : this.openBanking).catch(exception, host);
  }
}
