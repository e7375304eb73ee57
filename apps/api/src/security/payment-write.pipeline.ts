import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { DataSource } from '@consentry/database';
import type { EntityManager, PaymentConsentKind, WritePart } from '@consentry/database';
import { FastifyRequest } from 'fastify';

import { IdempotencyKeyGuard } from '../idempotency/idempotency-key.guard.js';
import { idempotentRequestOf, IdempotencyService, RecordedRefusal } from '../idempotency/idempotency.service.js';
import { MessageSignatureGuard } from '../message-signing/message-signature.guard.js';
import { ClientCredentialsGuard, RequiresClientScope } from './client-credentials.guard.js';
import { FapiHeadersGuard } from './fapi-headers.guard.js';
import { PaymentConsentGuard, RequiresPaymentConsent } from './payment-consent.guard.js';
import { TppAuthGuard } from './tpp-auth.guard.js';

/**
 * The checks of every PIS and VRP POST, in the order UK OB fixes (tests assert exact codes):
 *
 *   1. 401/403 token, scope, role ........ FapiHeadersGuard, TppAuthGuard, then ClientCredentialsGuard or
 *                                          PaymentConsentGuard
 *   2. U007 x-idempotency-key ............ IdempotencyKeyGuard (present, at most 40 characters)
 *   3. U019 -> U015 x-jws-signature ...... MessageSignatureGuard (detached PS256 JWS over the body bytes)
 *   4. U010 / U00x body .................. UnreadableBodyInterceptor (not JSON, too deep), then the global ValidationPipe (after every guard)
 *   5. idempotency ....................... PaymentWritePipeline.run: IdempotencyService around the write
 *   6. U009 consent status, 7. U008 ...... the use case (lockPaymentConsentToConsume or lockVrpConsent, in the write's transaction)
 *   8. U014 control parameters ........... the VRP use case (vrpLimitsRead in libs/consents, vrp-control-parameters.ts)
 *
 * Guards listed in one UseGuards run in their order, so each decorator below is the whole chain.
 */
const signedAndIdempotent = () => [IdempotencyKeyGuard, MessageSignatureGuard] as const;

const signingHeaders = (idempotent: boolean) => [
  ...(idempotent
    ? [ApiHeader({ name: 'x-idempotency-key', required: true, description: 'At most 40 characters; the same key and body within 24 hours get the first answer', schema: { type: 'string', maxLength: 40 } })]
    : []),
  ApiHeader({ name: 'x-jws-signature', required: true, description: 'A detached JWS (PS256) of the body, UK OB message signing (see docs/payments.md)' }),
];

/** A PIS or VRP POST made with the TPP's client-credentials token (consent creation): signed and idempotent. */
export const PaymentClientWriteProtected = () =>
  applyDecorators(
    RequiresClientScope('payments'),
    UseGuards(FapiHeadersGuard, TppAuthGuard, ClientCredentialsGuard, ...signedAndIdempotent()),
    ...signingHeaders(true),
  );

/** A PIS or VRP POST made with the PSU's token for a payment consent of `kind` (a payment order): signed and idempotent. */
export const PaymentOrderWriteProtected = (kind: PaymentConsentKind) =>
  applyDecorators(
    RequiresPaymentConsent(kind),
    UseGuards(FapiHeadersGuard, TppAuthGuard, PaymentConsentGuard, ...signedAndIdempotent()),
    ...signingHeaders(true),
  );

/** VRP `/funds-confirmation`: the PSU's token and a signed body, but no idempotency key (it writes nothing). */
export const PaymentSignedQueryProtected = (kind: PaymentConsentKind) =>
  applyDecorators(RequiresPaymentConsent(kind), UseGuards(FapiHeadersGuard, TppAuthGuard, PaymentConsentGuard, MessageSignatureGuard), ...signingHeaders(false));

/**
 * One payment write, split where the bank's part leaves our transaction:
 * - `stage` runs in the idempotency transaction: the consent checks (U009, U008, U014) and the rows it
 *   writes. It may return a RecordedRefusal, whose own records commit while the key does not;
 * - `settle` (optional) runs after that commit: the bank's debit and the status it gives, written together
 *   with the settled answer;
 * - `render` makes the response body of a staged or settled write, reading only through `manager`: the
 *   staged answer is rendered inside the key's transaction, where a read on another pool connection
 *   would wait for a connection that concurrent writes each hold while they wait for it (a pool
 *   deadlock, answered 500 after the pool's timeout). The settled answer is rendered outside any
 *   transaction, on the pool.
 */
/** Gives the write that stores a settled payment's answer, made together with the payment's outcome (writeTogether). */
export type SettlementRecorder<S> = (settled: S) => Promise<WritePart>;

/**
 * Gives the write that stores a staged write's answer, for a stage that makes it together with its own
 * last write in the key's transaction (the answer is rendered from what it is given).
 */
export type StageRecorder<S> = (staged: S) => Promise<WritePart>;

export interface PaymentWrite<S, T> {
  /** `record` (optional to use) gives the write of the staged answer, to be made with the stage's last write. */
  stage(manager: EntityManager, record: StageRecorder<S>): Promise<S | RecordedRefusal>;
  /** `record` gives the write of the settled answer, to be made together with the bank's outcome. */
  settle?(staged: S, record: SettlementRecorder<S>): Promise<S>;
  render(written: S, manager: EntityManager): T | Promise<T>;
}

/** Step 5 onwards: every PIS and VRP POST's write runs through here, once, answered 201. */
@Injectable()
export class PaymentWritePipeline {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly dataSource: DataSource,
  ) {}

  async run<S, T>(request: FastifyRequest, write: PaymentWrite<S, T>): Promise<T> {
    let staged: S | undefined;
    const outcome = await this.idempotency.execute<T>(
      idempotentRequestOf(request),
      async (manager, record) => {
        // The answer of the staged write, as recorded by the stage if it recorded one.
        let recorded: { of: S; body: T } | undefined;
        const result = await write.stage(manager, async (stagedWrite) => {
          const body = await write.render(stagedWrite, manager);
          recorded = { of: stagedWrite, body };
          return record({ status: 201, body });
        });
        if (result instanceof RecordedRefusal) return result;
        staged = result;
        // Recorded for what the stage returns: the same body, so the key's answer is not written again.
        if (recorded?.of === result) return { status: 201, body: recorded.body };
        return { status: 201, body: await write.render(result, manager) };
      },
      write.settle
        ? async (_first, record) => {
            // The settled answer is stored in the same statement as the outcome it shows.
            let recorded: T | undefined;
            const settled = await write.settle!(staged as S, async (outcome) => {
              recorded = await write.render(outcome, this.dataSource.manager);
              return record({ status: 201, body: recorded });
            });
            return { status: 201, body: recorded ?? (await write.render(settled, this.dataSource.manager)) };
          }
        : undefined,
    );
    return outcome.body;
  }
}
