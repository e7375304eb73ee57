import { BadRequestException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyRequest, RawServerDefault } from 'fastify';

import { routedPath } from './routed-path.js';

/** No request body of ours nests deeper than a few levels; OB payloads stay under ten. */
export const MAX_JSON_DEPTH = 32;

/** The code describeFrameworkError recognises for a body refused for its depth. */
export const JSON_TOO_DEEP = 'CONSENTRY_JSON_TOO_DEEP';

/** Why a JSON body could not be read: not JSON at all (or empty, or `__proto__` keys), or nested too deep. */
export type UnreadableBody = 'not_json' | 'too_deep';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the JSON parser on an Open Banking request whose body it could not read (the body is then undefined). */
    unreadableBody?: UnreadableBody;
  }
}

// Issue 12 fixes the order of an OB request's checks: token, headers and signature come before the body,
// so there an unreadable body is only noted, and refused by UnreadableBodyInterceptor after the guards.
const OPEN_BANKING_PREFIX = '/open-banking/';

type JsonParser = (request: FastifyRequest, body: string, done: (error: Error | null, value?: unknown) => void) => void;

/** What a refusal of an unreadable body says, whichever transport answers it. */
export function unreadableBodyMessage(reason: UnreadableBody): string {
  return reason === 'too_deep' ? `The request body nests deeper than ${MAX_JSON_DEPTH} levels` : 'The request body is not valid JSON';
}

/** Whether `value` nests arrays or objects deeper than `limit`; iterative, so any depth is measured safely. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * The app's `application/json` parser: Fastify's own (secure-json-parse, `__proto__` and `constructor`
 * keys refused), then a depth check, since class-transformer and class-validator walk bodies recursively
 * and a few thousand levels would overflow the stack (a 500). The exact bytes stay in request.rawBody
 * (the app's `rawBody` option), which message signatures and idempotency are over.
 *
 * An unreadable body is refused here, as a 400 in the transport's format, except under /open-banking,
 * where it becomes undefined and is marked (request.unreadableBody) for UnreadableBodyInterceptor. The
 * size limit is Fastify's, enforced before any parser runs.
 */
export function registerJsonBodyParser(app: NestFastifyApplication, bodyLimit: number): void {
  // Typed as either of Fastify's parser shapes; the default JSON parser is the callback one.
  const parseJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error') as JsonParser;
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, body, done) => {
    parseJson(request, body.toString('utf8'), (error, value) => {
      const reason: UnreadableBody | undefined = error ? 'not_json' : nestsDeeperThan(value, MAX_JSON_DEPTH) ? 'too_deep' : undefined;
      if (reason === undefined) {
        done(null, value);
      } else if (routedPath(request).startsWith(OPEN_BANKING_PREFIX)) {
        request.unreadableBody = reason;
        done(null, undefined);
      } else {
        done(reason === 'too_deep' ? new BadRequestException(unreadableBodyMessage(reason), { cause: { code: JSON_TOO_DEEP } }) : error, undefined);
      }
    });
  });
}
