import { DataSource, purgeExpiredOidcRows } from '@consentry/database';
import { isUnstorableText } from '@consentry/validation';
import { Adapter, AdapterPayload, errors } from 'oidc-provider';

import { assertStorablePayload } from './storable-params.js';

interface ModelRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * oidc-provider's storage over the `oidc_model` table (one row per model and id): sessions, grants,
 * interactions, PAR requests, codes, tokens, DPoP replay markers. Implements the adapter contract of
 * node-oidc-provider `example/my_adapter.js`; `grant_id`, `uid` and `user_code` are copied out of the
 * payload so the lookups by them use an index.
 */
export class PostgresAdapter implements Adapter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly model: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    assertStorablePayload(payload);
    const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
    // consumed_at is never reset by a later save: once a code or refresh token is used, it stays used.
    await this.dataSource.query(
      `INSERT INTO oidc_model (model, id, payload, grant_id, uid, user_code, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE
         SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
             user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`,
      [this.model, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, expiresAt],
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('id = $2', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('uid = $2', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.findWhere('user_code = $2', userCode);
  }

  /**
   * Marks a code or refresh token used. Atomic: of two concurrent redemptions only one flips
   * consumed_at; the other gets invalid_grant, so one code yields one set of tokens (RFC 6749 4.1.2,
   * RFC 9700 4.14.2 for refresh-token replay).
   */
  async consume(id: string): Promise<void> {
    // A CTE so the statement reports rows like a SELECT (TypeORM reshapes UPDATE results).
    const rows: Array<{ n: number }> = await this.dataSource.query(
      `WITH consumed AS (
         UPDATE oidc_model
            SET consumed_at = now(),
                payload = payload || jsonb_build_object('consumed', floor(extract(epoch FROM now()))::bigint)
          WHERE model = $1 AND id = $2 AND consumed_at IS NULL AND (expires_at IS NULL OR expires_at > now())
          RETURNING id)
       SELECT count(*)::int AS n FROM consumed`,
      [this.model, id],
    );
    if (rows[0]?.n !== 1) throw new errors.InvalidGrant('grant already used or expired');
  }

  async destroy(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM oidc_model WHERE model = $1 AND id = $2`, [this.model, id]);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM oidc_model WHERE model = $1 AND grant_id = $2`, [this.model, grantId]);
  }

  /** Deletes expired rows of every model; a maintenance job may call it, lookups already skip them. */
  static purgeExpired(dataSource: DataSource): Promise<number> {
    // The worker runs the same purge on a schedule (apps/worker/src/expiry).
    return purgeExpiredOidcRows(dataSource);
  }

  private async findWhere(condition: string, value: string): Promise<AdapterPayload | undefined> {
    // An id PostgreSQL cannot hold (U+0000, an unpaired surrogate) names no row: asked as it is, a code,
    // refresh token, PAR request_uri or token sent with one was a 500 with a stack trace in the log. Every
    // outside id comes through here first: consume, destroy and revokeByGrantId get ids of rows found.
    if (isUnstorableText(value)) return undefined;
    const rows: ModelRow[] = await this.dataSource.query(
      `SELECT payload, consumed_at FROM oidc_model
        WHERE model = $1 AND ${condition} AND (expires_at IS NULL OR expires_at > now())
        LIMIT 1`,
      [this.model, value],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: epochSeconds(row.consumed_at) } : row.payload;
  }
}
