import { ObIdPipe } from '@consentry/validation';
import { applyDecorators, Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';

import { MessageSignatureGuard } from '../message-signing/message-signature.guard.js';
import { NoQueryDto } from '../open-banking/page-query.dto.js';
import { FapiHeadersGuard } from '../security/fapi-headers.guard.js';
import { TppAuthGuard } from '../security/tpp-auth.guard.js';
import { InteractionId, Tpp, TppPrincipal } from '../security/tpp-principal.js';
import { EventClientGuard } from './event-client.guard.js';
import { OBEventSubscription1Dto, OBEventSubscriptionChange1Dto } from './event-subscription.dto.js';
import {
  EVENT_SUBSCRIPTIONS_PATH,
  EventSubscriptionsService,
  OBEventSubscriptionResponse1,
  OBEventSubscriptionsResponse1,
} from './event-subscriptions.service.js';

/** A read or delete: FAPI headers -> client-credentials token with an accounts, payments or fundsconfirmations scope. */
export const EventClientProtected = () => UseGuards(FapiHeadersGuard, TppAuthGuard, EventClientGuard);

/** POST and PUT also carry x-jws-signature (events-openapi.yaml), verified as on the payment routes. */
const EventClientSignedProtected = () =>
  applyDecorators(
    UseGuards(FapiHeadersGuard, TppAuthGuard, EventClientGuard, MessageSignatureGuard),
    ApiHeader({ name: 'x-jws-signature', required: true, description: 'A detached JWS (PS256) of the body, UK OB message signing (see docs/payments.md)' }),
  );

/** UK OB v4.0 event subscriptions: one per TPP, where (and which) event notifications go. */
@ApiTags('Event Notifications')
@Controller(EVENT_SUBSCRIPTIONS_PATH.slice(1))
export class EventSubscriptionsController {
  constructor(private readonly subscriptions: EventSubscriptionsService) {}

  @Post()
  @HttpCode(201)
  @EventClientSignedProtected()
  @ApiOperation({ operationId: 'CreateEventSubscriptions', summary: 'Subscribe to event notifications (OBEventSubscription1); a second subscription is 409' })
  @ApiCreatedResponse({ description: 'OBEventSubscriptionResponse1' })
  create(
    @Tpp() tpp: TppPrincipal,
    @Body() body: OBEventSubscription1Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBEventSubscriptionResponse1> {
    return this.subscriptions.create(tpp.clientId, body.Data, interactionId);
  }

  @Get()
  @EventClientProtected()
  @ApiOperation({ operationId: 'GetEventSubscriptions', summary: 'The TPP\'s event subscription (none or one)' })
  @ApiOkResponse({ description: 'OBEventSubscriptionsResponse1' })
  list(@Tpp() tpp: TppPrincipal, @Query() _query: NoQueryDto): Promise<OBEventSubscriptionsResponse1> {
    return this.subscriptions.list(tpp.clientId);
  }

  @Put(':EventSubscriptionId')
  @EventClientSignedProtected()
  @ApiOperation({ operationId: 'ChangeEventSubscriptionsEventSubscriptionId', summary: 'Change the callback URL or event types' })
  @ApiParam({ name: 'EventSubscriptionId' })
  @ApiOkResponse({ description: 'OBEventSubscriptionResponse1' })
  change(
    @Tpp() tpp: TppPrincipal,
    @Param('EventSubscriptionId', ObIdPipe) eventSubscriptionId: string,
    @Body() body: OBEventSubscriptionChange1Dto,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<OBEventSubscriptionResponse1> {
    return this.subscriptions.change(tpp.clientId, eventSubscriptionId, body.Data, interactionId);
  }

  @Delete(':EventSubscriptionId')
  @HttpCode(204)
  @EventClientProtected()
  @ApiOperation({ operationId: 'DeleteEventSubscriptionsEventSubscriptionId', summary: 'End the subscription (pending events stay available to polling)' })
  @ApiParam({ name: 'EventSubscriptionId' })
  @ApiNoContentResponse({ description: 'Deleted' })
  delete(
    @Tpp() tpp: TppPrincipal,
    @Param('EventSubscriptionId', ObIdPipe) eventSubscriptionId: string,
    @Query() _query: NoQueryDto,
    @InteractionId() interactionId: string,
  ): Promise<void> {
    return this.subscriptions.delete(tpp.clientId, eventSubscriptionId, interactionId);
  }
}
