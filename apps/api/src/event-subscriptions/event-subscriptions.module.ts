import { Module } from '@nestjs/common';

import { SecurityModule } from '../security/security.module.js';
import { EventAnnouncements } from './event-announcements.js';
import { EventClientGuard } from './event-client.guard.js';
import { EventPollingController } from './event-polling.controller.js';
import { EventPollingService } from './event-polling.service.js';
import { EventSubscriptionsController } from './event-subscriptions.controller.js';
import { EventSubscriptionsService } from './event-subscriptions.service.js';

/**
 * UK OB v4.0 Event Notification API, the bank's side: event subscriptions and aggregated polling. The
 * events themselves are produced and delivered by the worker (apps/worker/src/event-notifications).
 */
@Module({
  imports: [SecurityModule],
  controllers: [EventSubscriptionsController, EventPollingController],
  providers: [EventSubscriptionsService, EventPollingService, EventAnnouncements, EventClientGuard],
})
export class EventSubscriptionsModule {}
