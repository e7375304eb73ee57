import { DataSource } from '@consentry/database';
import { ObErrorCode, ObErrorException } from '@consentry/validation';
import { Body, Controller, Get, HttpCode, Module, Param, Post, Res, UseGuards } from '@nestjs/common';
import { IsDefined, IsString, Matches } from 'class-validator';
import { FastifyReply } from 'fastify';

import { IdempotencyKeyGuard } from '../../src/idempotency/idempotency-key.guard.js';
import { IdempotencyModule } from '../../src/idempotency/idempotency.module.js';
import { Idempotency, IdempotencyService, IdempotentRequest } from '../../src/idempotency/idempotency.service.js';
import { MessageSigningModule } from '../../src/message-signing/message-signing.module.js';
import { MessageSignatureGuard } from '../../src/message-signing/message-signature.guard.js';
import { FapiHeadersGuard } from '../../src/security/fapi-headers.guard.js';
import { SecurityModule } from '../../src/security/security.module.js';
import { TppAuthGuard } from '../../src/security/tpp-auth.guard.js';

/** Under the PIS base path, so its answers are signed as every PIS answer is. */
export const PROBE_PATH = '/open-banking/v4.0/pisp/signing-probes';

/** The table the probe writes to: created by the test in its own database, never by a migration. */
export const PROBE_TABLE_DDL = `CREATE TABLE signing_probe (probe_id bigserial PRIMARY KEY, amount text NOT NULL)`;

export class ProbeWriteDto {
  @IsDefined()
  @IsString()
  @Matches(/^\d{1,13}\.\d{2}$/)
  Amount!: string;
}

/**
 * A test-only stand-in for a payment route: the production guards, decorator and IdempotencyService,
 * applied the way payment routes apply them, around one INSERT.
 */
@Controller(PROBE_PATH.slice(1))
class PaymentWriteProbeController {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly dataSource: DataSource,
  ) {}

  // The guards in the order payment routes list them (payment-write.pipeline.ts).
  @Post()
  @UseGuards(FapiHeadersGuard, TppAuthGuard, IdempotencyKeyGuard, MessageSignatureGuard)
  create(@Body() body: ProbeWriteDto, @Idempotency() request: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.write(body, request, reply);
  }

  // A second path: idempotency keys are scoped per client and path.
  @Post('alternate')
  @UseGuards(FapiHeadersGuard, TppAuthGuard, IdempotencyKeyGuard, MessageSignatureGuard)
  createAlternate(@Body() body: ProbeWriteDto, @Idempotency() request: IdempotentRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.write(body, request, reply);
  }

  private async write(body: ProbeWriteDto, request: IdempotentRequest, reply: FastifyReply) {
    const outcome = await this.idempotency.execute(request, async (manager) => {
      // A short pause inside the transaction, so concurrent requests overlap for certain.
      await manager.query(`SELECT pg_sleep(0.05)`);
      const [row] = (await manager.query(`INSERT INTO signing_probe (amount) VALUES ($1) RETURNING probe_id`, [body.Amount])) as Array<{ probe_id: string }>;
      // A refusal after a write (as U009 or U014 would be): the write and the key roll back with it.
      if (body.Amount === '0.00') throw ObErrorException.badRequest(ObErrorCode.FieldInvalid, 'A zero amount is refused', 'Amount');
      return { status: 201, body: { Data: { ProbeId: row!.probe_id, Amount: body.Amount } } };
    });
    reply.status(outcome.status);
    return outcome.body;
  }

  // As VRP /funds-confirmation: signed, without an idempotency key.
  @Post('funds-confirmation')
  @HttpCode(200)
  @UseGuards(FapiHeadersGuard, TppAuthGuard, MessageSignatureGuard)
  confirm(@Body() body: ProbeWriteDto) {
    return { Data: { Amount: body.Amount, FundsAvailable: true } };
  }

  @Get(':probeId')
  @UseGuards(FapiHeadersGuard, TppAuthGuard)
  async read(@Param('probeId') probeId: string) {
    const rows = (await this.dataSource.query(`SELECT probe_id, amount FROM signing_probe WHERE probe_id::text = $1`, [probeId])) as Array<{ probe_id: string; amount: string }>;
    if (rows.length === 0) throw ObErrorException.badRequest(ObErrorCode.ResourceNotFound, 'No such probe', 'ProbeId');
    return { Data: { ProbeId: rows[0]!.probe_id, Amount: rows[0]!.amount } };
  }
}

@Module({
  imports: [SecurityModule, MessageSigningModule, IdempotencyModule],
  controllers: [PaymentWriteProbeController],
})
export class PaymentWriteProbeModule {}
