import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { EventClientGuard } from './event-client.guard.js';
import { EventSubscriptionsController } from './event-subscriptions.controller.js';
import { EventSubscriptionsService } from './event-subscriptions.service.js';

/**
 * UK OB v4.0 Event Notification API, the bank's side: event subscriptions and aggregated polling. The
 * events themselves are produced and delivered by the worker (apps/worker/src/event-notifications).
 */
@Module({
  imports: [SecurityModule],
  controllers: [EventSubscriptionsController],
  providers: [EventSubscriptionsService, EventClientGuard],
})
export class EventSubscriptionsModule {}
