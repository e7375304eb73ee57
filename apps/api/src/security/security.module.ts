import { Module } from '@nestjs/common';

import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { MessageSigningModule } from '../message-signing/message-signing.module.js';
import { AccessTokenVerifier } from './access-token.verifier.js';
import { ClientCredentialsGuard } from './client-credentials.guard.js';
import { ConsentAccountGuard } from './consent-account.guard.js';
import { ConsentGuard } from './consent.guard.js';
import { DpopReplayCache } from './dpop-replay.cache.js';
import { FapiHeadersGuard } from './fapi-headers.guard.js';
import { PaymentConsentGuard } from './payment-consent.guard.js';
import { PaymentWritePipeline } from './payment-write.pipeline.js';
import { PermissionGuard } from './permission.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';
import { TppAuthenticator } from './tpp-authenticator.js';
import { TppRateLimit } from './tpp-rate-limit.js';
import { UnattendedAccessGuard } from './unattended-access.guard.js';

const GUARDS = [FapiHeadersGuard, TppAuthGuard, ClientCredentialsGuard, ConsentGuard, PermissionGuard, ConsentAccountGuard, UnattendedAccessGuard, PaymentConsentGuard];

/** The request checks; payment writes add message signing and idempotency (payment-write.pipeline.ts). */
@Module({
  imports: [MessageSigningModule, IdempotencyModule],
  providers: [AccessTokenVerifier, DpopReplayCache, TppRateLimit, TppAuthenticator, PaymentWritePipeline, ...GUARDS],
  exports: [AccessTokenVerifier, DpopReplayCache, TppRateLimit, TppAuthenticator, PaymentWritePipeline, ...GUARDS, MessageSigningModule, IdempotencyModule],
})
export class SecurityModule {}
