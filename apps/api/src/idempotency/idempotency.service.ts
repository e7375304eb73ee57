import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { DataSource, EntityManager, IDEMPOTENCY_KEY_LIFETIME, queryPrepared, queryPreparedIn, WritePart } from '@consentry/database';
import { createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

import { routedPath } from '../http/routed-path.js';
import { TppPrincipal } from '../security/tpp-principal.js';
import { IdempotencyException, IdempotencyExceptionCode } from './idempotency.exception.js';

/** One idempotent POST: whose, where, under which key, and the SHA-256 of its body's exact bytes. */
export interface IdempotentRequest {
  clientId: string;
  /** The path the router serves (no query, escapes decoded): keys are scoped per client and path. */
  path: string;
  key: string;
  bodyHash: Buffer;
}

/** What the handler answers: stored as the first answer, and replayed as it is. */
export interface IdempotentAnswer<T> {
  status: number;
  body: T;
}

export interface IdempotentOutcome<T> extends IdempotentAnswer<T> {
  /** True when this is the stored answer of an earlier request, and nothing was done now. */
  replayed: boolean;
}

/**
 * A refusal whose own record must stand (a VRP refused by a control parameter writes its audit event):
 * returned by the work instead of thrown, it commits the work's writes but not the key, then `error` is
 * thrown. A retry with the same key is checked afresh, as after any refusal.
 */
export class RecordedRefusal {
  constructor(readonly error: Error) {}
}

/**
 * The write that stores the settled answer: a settlement that records the bank's outcome makes it
 * together with that outcome (writeTogether), so the new status and the answer a retry replays commit
 * together, in one round trip.
 */
export type RecordSettledAnswer<T> = (answer: IdempotentAnswer<T>) => WritePart;

/**
 * The write that stores the answer inside the work's transaction, made by the work together with its own
 * last write (writeTogether, or the risk engine's statement): the key's transaction then needs no round
 * trip of its own for it. An answer returned that is not the one recorded is stored afresh.
 */
export type RecordStagedAnswer<T> = (answer: IdempotentAnswer<T>) => WritePart;

/**
 * The second step of a write that must leave our transaction (a bank call): its answer replaces the
 * first, stored through `record`'s write when the settlement writes an outcome, or else afterwards.
 */
export type IdempotentSettlement<T> = (first: IdempotentAnswer<T>, record: RecordSettledAnswer<T>) => Promise<IdempotentAnswer<T>>;

// How long a settlement may take after its first answer is stored: the bank call (the HTTP connector's
// 5 s timeout) and the write of its outcome, with room to spare. A provisional answer older than this is
// orphaned (the first request died between its commit and its settlement): duplicates then stop waiting
// and replay it as it stands, a true earlier state of the payment.
const SETTLEMENT_BOUND = '10 seconds';

// A duplicate that finds a provisional answer re-reads the key at these intervals (ms), doubling, until
// the answer is final or orphaned. Only duplicates pay for it; they hold no connection while they wait.
const FIRST_POLL_MS = 5;
const LAST_POLL_MS = 50;

// Claims the key in the caller's transaction. A live row of another transaction makes this statement
// wait until that one commits (then the row is live: nothing returned) or rolls back (then this claims).
// A row past its 24 hours is taken over (DO UPDATE); a live one is left alone (its WHERE is false).
const CLAIM = `
  INSERT INTO idempotency_key AS k (client_id, path, key, request_hash, response_status, response_body)
  VALUES ($1, $2, $3, $4, 0, '')
  ON CONFLICT (client_id, path, key) DO UPDATE
     SET request_hash = EXCLUDED.request_hash, response_status = 0, response_body = '', provisional_since = NULL, created_at = now()
   WHERE k.created_at < now() - interval '${IDEMPOTENCY_KEY_LIFETIME}'
  RETURNING 1`;

// `settling`: the answer is provisional and its settlement may still come.
const STORED = `
  SELECT request_hash, response_status, response_body,
         coalesce(provisional_since > now() - interval '${SETTLEMENT_BOUND}', false) AS settling
    FROM idempotency_key WHERE client_id = $1 AND path = $2 AND key = $3`;

interface StoredAnswer {
  request_hash: Buffer;
  response_status: number;
  response_body: string;
  settling: boolean;
}

const RELEASE = `DELETE FROM idempotency_key WHERE client_id = $1 AND path = $2 AND key = $3`;

// A final answer: a write without settlement, or a settlement's.
const COMPLETE = `UPDATE idempotency_key SET response_status = $4, response_body = $5, provisional_since = NULL WHERE client_id = $1 AND path = $2 AND key = $3`;

// The first answer of a write that a settlement follows: provisional from the moment it is written (the
// transaction's commit follows at once), so duplicates wait for the settled one.
const COMPLETE_PROVISIONAL = `
  UPDATE idempotency_key SET response_status = $4, response_body = $5, provisional_since = clock_timestamp()
   WHERE client_id = $1 AND path = $2 AND key = $3`;

// The provisional answer made final as it stands: its settlement failed.
const FINALISE = `UPDATE idempotency_key SET provisional_since = NULL WHERE client_id = $1 AND path = $2 AND key = $3`;

/**
 * UK OB idempotency of payment POSTs (`x-idempotency-key`, 24 hours, per client and path). `execute`
 * runs the handler's work in one transaction that first claims the key and last stores the answer, so
 * the payment and its stored answer commit together or not at all:
 * - a new key: the work runs, its answer is stored and returned;
 * - the same key and the same body bytes: the first answer (status and body) is returned and the work
 *   does not run, so nothing is created twice;
 * - the same key with another body: 409 U029;
 * - identical requests at the same instant: the second waits on the first's row, then replays its
 *   answer (or, if the first failed and rolled back, runs itself). When a settlement follows (below),
 *   the answer committed with the write is provisional until the settled one replaces it: a duplicate
 *   that finds it waits for the settled answer, so it answers what the first caller gets.
 * The work throwing (a refusal such as U009, or a fault) rolls everything back, the key included: a
 * retry with the same key is checked afresh; a RecordedRefusal commits the work's own record of it but
 * still not the key. A write with a second step outside our transaction (the bank's debit, which may be
 * an HTTP connector's) passes `settle`: it runs after the commit and its answer replaces the stored one,
 * so a payment is never rolled back after the bank took the money. The first answer is marked
 * provisional (`provisional_since`) in the statement that stores it and the mark is cleared in the one
 * that stores the settled answer: no round trip of its own. A duplicate that finds the mark re-reads the
 * key, outside any transaction, until the mark is gone or older than SETTLEMENT_BOUND (the first request
 * died: its provisional answer is replayed). The transaction is READ COMMITTED (the default): the work
 * locks what it changes (SELECT ... FOR UPDATE, conditional UPDATEs), and the claim's wait on a
 * concurrent insert ends in a replay rather than a serialisation failure.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly dataSource: DataSource) {}

  async execute<T>(
    request: IdempotentRequest,
    work: (manager: EntityManager, record: RecordStagedAnswer<T>) => Promise<IdempotentAnswer<T> | RecordedRefusal>,
    settle?: IdempotentSettlement<T>,
  ): Promise<IdempotentOutcome<T>> {
    const ids = [request.clientId, request.path, request.key];
    // The first answer is final unless a settlement follows.
    const complete = settle ? COMPLETE_PROVISIONAL : COMPLETE;
    const first = await this.dataSource.transaction(async (manager): Promise<IdempotentOutcome<T> | RecordedRefusal | Settling<T>> => {
      const claimed = await queryPreparedIn(manager, CLAIM, [...ids, request.bodyHash]);
      if (claimed.length === 0) {
        const [stored] = await queryPreparedIn<StoredAnswer>(manager, STORED, ids);
        if (!stored) throw new Error('idempotency key neither claimed nor stored');
        if (!stored.request_hash.equals(request.bodyHash)) {
          throw new IdempotencyException(IdempotencyExceptionCode.KeyReused, 'This x-idempotency-key was already used with another request body');
        }
        // Waited for after this transaction ends, so that no connection is held while the bank answers.
        return stored.settling ? new Settling(replayOf<T>(stored)) : replayOf<T>(stored);
      }
      // The work may store its answer in a statement of its own (record), in this transaction.
      let recorded: IdempotentAnswer<T> | null = null;
      const answer = await work(manager, (staged) => {
        recorded = staged;
        return { sql: complete, values: [...ids, staged.status, stored(staged)] };
      });
      if (answer instanceof RecordedRefusal) {
        await queryPreparedIn(manager, RELEASE, ids);
        return answer;
      }
      if (!sameAnswer(recorded, answer)) await queryPreparedIn(manager, complete, [...ids, answer.status, stored(answer)]);
      return { ...answer, replayed: false };
    });
    if (first instanceof RecordedRefusal) throw first.error;
    if (first instanceof Settling) return this.settledReplay(ids, first.provisional);
    if (first.replayed || !settle) return first;
    // The first answer is committed with the write, so the payment is on record whatever follows; the
    // settled answer replaces it once known, and duplicates wait for that one (see STORED).
    let recorded = false;
    let settled: IdempotentAnswer<T>;
    try {
      settled = await settle(first, (answer) => {
        recorded = true;
        return { sql: COMPLETE, values: [...ids, answer.status, stored(answer)] };
      });
    } catch (error) {
      // A settlement that fails leaves the first answer standing, final now: duplicates stop waiting for it.
      // Should this fail too (the database gone), the mark is orphaned after SETTLEMENT_BOUND all the same.
      await queryPrepared(this.dataSource, FINALISE, ids).catch(() => undefined);
      throw error;
    }
    // Unrecorded (no outcome to write: held for review, or the bank unreachable), the answer is stored
    // here: even the first one again, to make it final.
    if (!recorded) await queryPrepared(this.dataSource, COMPLETE, [...ids, settled.status, stored(settled)]);
    return { ...settled, replayed: false };
  }

  /** The answer of a duplicate that found `provisional`: the settled one once stored, or `provisional` if orphaned. */
  private async settledReplay<T>(ids: string[], provisional: IdempotentOutcome<T>): Promise<IdempotentOutcome<T>> {
    // Ends: the mark is cleared when the settlement is stored, and is orphaned after SETTLEMENT_BOUND.
    for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, LAST_POLL_MS)) {
      await sleep(pause);
      const [stored] = await queryPrepared<StoredAnswer>(this.dataSource, STORED, ids);
      // Gone (purged after its 24 hours): the answer read last is the one there was.
      if (!stored) return provisional;
      if (!stored.settling) return replayOf<T>(stored);
    }
  }
}

/** A replay found provisional, its settlement still to come. */
class Settling<T> {
  constructor(readonly provisional: IdempotentOutcome<T>) {}
}

/** The stored answer, replayed. '' is an answer without a body (see `stored`). */
function replayOf<T>(stored: StoredAnswer): IdempotentOutcome<T> {
  return { status: stored.response_status, body: (stored.response_body === '' ? undefined : JSON.parse(stored.response_body)) as T, replayed: true };
}

/** Whether `answer` is the one recorded: its status and the very same body. */
function sameAnswer<T>(recorded: IdempotentAnswer<T> | null, answer: IdempotentAnswer<T>): boolean {
  return recorded !== null && recorded.status === answer.status && recorded.body === answer.body;
}

/** Stored as the JSON text that is sent, so a replay answers the very same bytes ('' for no body). */
function stored(answer: IdempotentAnswer<unknown>): string {
  return answer.body === undefined ? '' : JSON.stringify(answer.body);
}

/** The SHA-256 of a body's bytes (an absent body hashes as empty). */
export function bodyHashOf(body: Buffer | undefined): Buffer {
  return createHash('sha256').update(body ?? Buffer.alloc(0)).digest();
}

/**
 * The request's IdempotentRequest, on a route guarded by TppAuthGuard and IdempotencyKeyGuard (as the
 * chains of payment-write.pipeline.ts list them): the TPP, the path, the checked key and the body's hash.
 */
export const Idempotency = createParamDecorator((_: unknown, context: ExecutionContext): IdempotentRequest =>
  idempotentRequestOf(context.switchToHttp().getRequest<FastifyRequest>()),
);

/** See Idempotency: the same, from the request itself. */
export function idempotentRequestOf(request: FastifyRequest): IdempotentRequest {
  const principal = request.user as TppPrincipal | undefined;
  if (!principal?.clientId || request.idempotencyKey === undefined) throw new Error('Idempotency used on a route without TppAuthGuard and IdempotencyKeyGuard');
  return { clientId: principal.clientId, path: routedPath(request), key: request.idempotencyKey, bodyHash: bodyHashOf(request.rawBody) };
}
