import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';

import { IdempotencyKeyGuard } from '../idempotency/idempotency-key.guard.js';
import { MessageSignatureGuard } from './message-signature.guard.js';

export interface SignedRequestOptions {
  /** Whether the POST requires `x-idempotency-key` (every PIS and VRP POST but VRP /funds-confirmation). */
  idempotent: boolean;
}

/**
 * A signed payment POST: the x-idempotency-key header check (U007/U006) when idempotent, then the
 * request's x-jws-signature (U019-U015), in that order. Apply it after the route's token, scope and
 * role guards (class-level guards run first; on the same method, list it above the @UseGuards of those,
 * since method decorators apply bottom-up), so the checks run in the order the issue fixes:
 * 401/403, U007, U019-U015, then the body (pipes), then idempotency (IdempotencyService in the handler).
 */
export const SignedRequest = (options: SignedRequestOptions) =>
  applyDecorators(
    ...(options.idempotent
      ? [
          ApiHeader({ name: 'x-idempotency-key', required: true, description: 'At most 40 characters; the same key and body within 24 hours get the first answer', schema: { type: 'string', maxLength: 40 } }),
          UseGuards(IdempotencyKeyGuard, MessageSignatureGuard),
        ]
      : [UseGuards(MessageSignatureGuard)]),
    ApiHeader({ name: 'x-jws-signature', required: true, description: 'A detached JWS (PS256) of the body, UK OB message signing (see docs/payments.md)' }),
  );
