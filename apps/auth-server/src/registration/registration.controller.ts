import { All, Body, Controller, Delete, Get, Headers, HttpCode, MethodNotAllowedException, NotFoundException, Param, Patch, Post, Put, Res, UseFilters } from '@nestjs/common';
import { FastifyReply } from 'fastify';

import { FAPI_INTERACTION_ID_HEADER, fapiInteractionIdOf } from '../fapi-interaction-id.js';
import { RegistrationExceptionFilter } from './registration.exception-filter.js';
import { RegistrationResponse, RegistrationService } from './registration.service.js';

function bearerOf(authorization: string | undefined): string | undefined {
  // RFC 9110 §11.4: the scheme, any case, then one or more spaces before the token.
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '');
  return match?.[1];
}

const CLIENT_METHODS = 'GET, PUT, DELETE';

/** 405, with the methods the path serves. */
function notAllowed(reply: FastifyReply, allow: string): never {
  reply.header('allow', allow);
  throw new MethodNotAllowedException();
}

/**
 * RFC 7591 `POST /register` and RFC 7592 `GET|PUT|DELETE /register/:clientId`. JSON in, JSON out,
 * never cached (RFC 7591 section 3.2.1).
 */
@Controller('register')
@UseFilters(RegistrationExceptionFilter)
export class RegistrationController {
  constructor(private readonly registrations: RegistrationService) {}

  @Post()
  @HttpCode(201)
  register(@Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<RegistrationResponse> {
    reply.header('cache-control', 'no-store');
    return this.registrations.register(body, this.interactionIdOf(reply));
  }

  @Get(':clientId')
  read(@Param('clientId') clientId: string, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<RegistrationResponse> {
    reply.header('cache-control', 'no-store');
    return this.registrations.read(clientId, bearerOf(authorization));
  }

  @Put(':clientId')
  update(
    @Param('clientId') clientId: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegistrationResponse> {
    reply.header('cache-control', 'no-store');
    return this.registrations.update(clientId, bearerOf(authorization), body, this.interactionIdOf(reply));
  }

  @Delete(':clientId')
  @HttpCode(204)
  async remove(@Param('clientId') clientId: string, @Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    reply.header('cache-control', 'no-store');
    await this.registrations.remove(clientId, bearerOf(authorization), this.interactionIdOf(reply));
  }

  // What no route above serves answers in the RFC 7591 shape too (the filter), naming the methods that are
  // served (RFC 9110 §15.5.6) and echoing nothing; until 7 December 2026 it was Nest's 404, the path quoted.
  // One handler per method: Nest keeps only one route decorator per handler.
  @Get()
  getCollection(@Res({ passthrough: true }) reply: FastifyReply): never {
    return notAllowed(reply, 'POST');
  }

  @Put()
  putCollection(@Res({ passthrough: true }) reply: FastifyReply): never {
    return notAllowed(reply, 'POST');
  }

  @Delete()
  deleteCollection(@Res({ passthrough: true }) reply: FastifyReply): never {
    return notAllowed(reply, 'POST');
  }

  @Patch()
  patchCollection(@Res({ passthrough: true }) reply: FastifyReply): never {
    return notAllowed(reply, 'POST');
  }

  @Post(':clientId')
  postClient(@Res({ passthrough: true }) reply: FastifyReply): never {
    return notAllowed(reply, CLIENT_METHODS);
  }

  @Patch(':clientId')
  patchClient(@Res({ passthrough: true }) reply: FastifyReply): never {
    return notAllowed(reply, CLIENT_METHODS);
  }

  @All(':clientId/*')
  deeperPath(): never {
    throw new NotFoundException();
  }

  private interactionIdOf(reply: FastifyReply): string {
    return fapiInteractionIdOf(reply.raw.getHeader(FAPI_INTERACTION_ID_HEADER) as string | undefined);
  }
}
