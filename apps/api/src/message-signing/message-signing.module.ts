import { Module } from '@nestjs/common';

import { MessageSignatureGuard } from './message-signature.guard.js';
import { MessageSigningJwksController } from './message-signing-jwks.controller.js';
import { TppSigningKeys } from './tpp-signing-keys.js';

/**
 * UK OB message signing: the guard that verifies TPP request signatures, the registered keys it checks
 * them with, and the bank's public message-signing keys. Responses are signed by the onSend hook the
 * bootstrap registers (response-signing.hook.ts), with BankSigningKeys from the infrastructure module.
 */
@Module({
  controllers: [MessageSigningJwksController],
  providers: [TppSigningKeys, MessageSignatureGuard],
  exports: [TppSigningKeys, MessageSignatureGuard],
})
export class MessageSigningModule {}
