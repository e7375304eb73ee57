import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

import { BankSigningKeys } from './bank-signing-keys.js';

/** The bank's message-signing public keys, by which TPPs verify `x-jws-signature` on our answers. */
@ApiTags('Message signing')
@Controller('.well-known')
export class MessageSigningJwksController {
  constructor(private readonly keys: BankSigningKeys) {}

  @Get('message-signing-jwks.json')
  @ApiOperation({ summary: 'The public keys of the bank\'s x-jws-signature on PIS, VRP and CoF responses (JWKS)' })
  @ApiOkResponse({ description: 'A JSON Web Key Set of PS256 public keys' })
  // Public keys: a client may cache them for a while, and refetches on an unknown kid.
  @Header('cache-control', 'public, max-age=300')
  jwks(): { keys: object[] } {
    return this.keys.publicJwks;
  }
}
