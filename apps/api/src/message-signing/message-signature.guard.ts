import { MESSAGE_SIGNATURE_HEADER, MessageSignatureError, MessageSignatureErrorCode, verifyMessageSignature } from '@consentry/message-signing';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { singleHeader } from '../http/single-header.js';
import { TppPrincipal } from '../security/tpp-principal.js';
import { TppSigningKeys } from './tpp-signing-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of a JSON body, kept by the parser (the app's `rawBody` option). */
    rawBody?: Buffer;
  }
}

const EMPTY = new Uint8Array(0);

// Two signatures (joined by Node into "a, b", which no longer parses): which one would be meant? U018.
const repeated = () => new MessageSignatureError(MessageSignatureErrorCode.Malformed, `The ${MESSAGE_SIGNATURE_HEADER} header must be sent once`);

/**
 * UK OB message signing of a request: `x-jws-signature` must be a detached PS256 JWS over the body's
 * exact bytes by one of the calling TPP's registered keys, naming the TPP (`iss`) and our trust anchor
 * (`tan`). Runs after the token, scope and role checks (it needs the TPP they authenticated) and before
 * the body is validated. A refusal is a MessageSignatureError, answered U019/U018/U017/U016/U015.
 */
@Injectable()
export class MessageSignatureGuard implements CanActivate {
  constructor(private readonly keys: TppSigningKeys) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.user as TppPrincipal | undefined;
    // A route that lists this guard before TppAuthGuard is a programming error, not a TPP's.
    if (!principal?.clientId || !request.tppSigningRead) throw new Error('MessageSignatureGuard must run after TppAuthGuard');
    const body = request.rawBody ? new Uint8Array(request.rawBody.buffer, request.rawBody.byteOffset, request.rawBody.byteLength) : EMPTY;
    const signature = singleHeader(request, MESSAGE_SIGNATURE_HEADER, repeated);
    await verifyMessageSignature(signature, body, this.keys.expectationsFor(principal.clientId, request.tppSigningRead));
    return true;
  }
}
