import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { singleHeader } from '../http/single-header.js';
import { TppPrincipal } from '../security/tpp-principal.js';
import { IdempotencyException, IdempotencyExceptionCode } from './idempotency.exception.js';

export const IDEMPOTENCY_KEY_HEADER = 'x-idempotency-key';

// UK OB (payment-initiation and vrp OpenAPI): at most 40 characters, pattern ^(?!\s)(.*)(\S)$. Control
// characters are refused too: the key is stored and compared, never meant to carry them.
const MAX_KEY_LENGTH = 40;
const KEY_PATTERN = /^(?!\s)[^\p{Cc}]*\S$/u;

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's x-idempotency-key, once IdempotencyKeyGuard has checked it. */
    idempotencyKey?: string;
  }
}

const invalidKey = () =>
  new IdempotencyException(
    IdempotencyExceptionCode.KeyInvalid,
    `The ${IDEMPOTENCY_KEY_HEADER} header must be sent once, with 1 to ${MAX_KEY_LENGTH} characters and no blank at either end`,
  );

/**
 * The header check of an idempotent POST (step 2 of the payment checks, with the other U007s): a
 * well-formed `x-idempotency-key` must be present. What the key means (replay or conflict) is decided
 * later, by IdempotencyService, after the body is validated.
 */
@Injectable()
export class IdempotencyKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    // Listed before TppAuthGuard, a U007 would answer before a 401: a programming error, not the TPP's.
    if (!(request.user as TppPrincipal | undefined)?.clientId) throw new Error('IdempotencyKeyGuard must run after TppAuthGuard');
    // Two keys sent (joined by Node into "a, b") are as malformed as one too long: which would be meant?
    const value = singleHeader(request, IDEMPOTENCY_KEY_HEADER, invalidKey);
    if (value === undefined || value === '') {
      throw new IdempotencyException(IdempotencyExceptionCode.KeyMissing, `The ${IDEMPOTENCY_KEY_HEADER} header is required`);
    }
    if (value.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(value)) throw invalidKey();
    request.idempotencyKey = value;
    return true;
  }
}
