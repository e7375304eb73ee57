import { HttpException } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { ADMIN_PATH_HIDDEN } from './admin-network.hook.js';
import { JSON_SHAPE_REFUSED, ShapeRefusal, unreadableBodyMessage } from './json-body.parser.js';
import { RouteRegistry } from './route-registry.js';
import { routedPath } from './routed-path.js';

/** What went wrong before any of our handlers ran: routing, body size, media type, JSON syntax. */
export type FrameworkErrorKind =
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'malformed_body'
  | 'not_acceptable'
  | 'bad_request';

export interface FrameworkError {
  kind: FrameworkErrorKind;
  status: number;
  message: string;
  /** Methods served at the path, for the Allow header of a 405. */
  allow?: string[];
}

function fastifyCode(exception: HttpException): string | undefined {
  const cause = exception.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** The shape a body was refused for (JSON_SHAPE_REFUSED). */
function shapeReason(exception: HttpException): ShapeRefusal {
  const reason = (exception.cause as { reason?: unknown } | undefined)?.reason;
  return reason === 'too_wide' || reason === 'too_long' ? reason : 'too_deep';
}

/**
 * Classifies the HttpExceptions Nest and Fastify raise themselves (ours are typed exceptions) without
 * echoing their messages, which may quote the request.
 */
export function describeFrameworkError(exception: HttpException, request: FastifyRequest, routes: RouteRegistry): FrameworkError {
  const status = exception.getStatus();
  const code = fastifyCode(exception);
  if (status === 404) {
    const allow = code === ADMIN_PATH_HIDDEN ? [] : routes.allowedMethods(routedPath(request));
    if (allow.length > 0 && !allow.includes(request.method)) {
      return { kind: 'method_not_allowed', status: 405, message: `${request.method} is not allowed here`, allow };
    }
    return { kind: 'not_found', status: 404, message: 'No such resource' };
  }
  if (status === 413) return { kind: 'payload_too_large', status, message: 'The request body is too large' };
  if (status === 415) return { kind: 'unsupported_media_type', status, message: 'The request body must be application/json' };
  if (status === 406) return { kind: 'not_acceptable', status, message: 'The API answers application/json only' };
  if (status === 405) return { kind: 'method_not_allowed', status, message: `${request.method} is not allowed here` };
  if (status === 400 && code === JSON_SHAPE_REFUSED) {
    return { kind: 'malformed_body', status, message: unreadableBodyMessage(shapeReason(exception)) };
  }
  if (status === 400 && (code?.startsWith('FST_ERR_CTP') || exception.cause instanceof SyntaxError)) {
    return { kind: 'malformed_body', status, message: unreadableBodyMessage('not_json') };
  }
  return { kind: 'bad_request', status: status >= 400 && status < 500 ? status : 400, message: 'The request could not be processed' };
}
