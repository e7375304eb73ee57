import { Body, Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';

import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { EventClientProtected } from './event-subscriptions.controller.js';
import { OBEventPolling1Dto } from './event-subscription.dto.js';
import { EventPollingService, OBEventPollingResponse1 } from './event-polling.service.js';

/** UK OB v4.0 aggregated polling: the TPP fetches (and acknowledges) its own pending events. */
@ApiTags('Event Notifications')
@Controller('open-banking/v4.0/events')
export class EventPollingController {
  constructor(private readonly polling: EventPollingService) {}

  @Post()
  // 200 "Read awaiting events": each call reads (and may acknowledge); nothing is created.
  @HttpCode(200)
  @EventClientProtected()
  @ApiOperation({ operationId: 'CreateEvents', summary: 'Poll for event notifications and acknowledge received ones (OBEventPolling1)' })
  @ApiOkResponse({ description: 'OBEventPollingResponse1' })
  poll(
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBEventPolling1Dto,
    @Query() _query: NoQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OBEventPollingResponse1> {
    return this.polling.poll(tpp.clientId, body, untilHangUp(request, reply));
  }
}

/**
 * A signal aborted when the TPP hangs up before its answer is written, so a long poll stops waiting at
 * once. The response's 'close' is the one to watch: the request's fires as soon as its body has been read
 * (Node 16 and later), which until 7 December 2026 was before the wait began, so an abandoned long poll
 * held its waiter for the whole EVENT_POLL_WAIT_MS.
 */
function untilHangUp(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const abort = new AbortController();
  if (request.raw.socket.destroyed) {
    abort.abort();
  } else {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
  }
  return abort.signal;
}
