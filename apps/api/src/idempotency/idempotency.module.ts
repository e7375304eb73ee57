import { Module } from '@nestjs/common';

import { IdempotencyKeyGuard } from './idempotency-key.guard.js';
import { IdempotencyService } from './idempotency.service.js';

/** UK OB idempotency of payment POSTs: the header guard and the service that stores and replays answers. */
@Module({
  providers: [IdempotencyService, IdempotencyKeyGuard],
  exports: [IdempotencyService, IdempotencyKeyGuard],
})
export class IdempotencyModule {}
