import { Body, Controller, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { FastifyRequest } from 'fastify';

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
  poll(@Tpp() tpp: TppPrincipal, @Body() body: OBEventPolling1Dto, @Query() _query: NoQueryDto, @Req() request: FastifyRequest): Promise<OBEventPollingResponse1> {
    // A long poll ends when the TPP hangs up.
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    return this.polling.poll(tpp.clientId, body, abort.signal);
  }
}
