import { DataSource } from '@consentry/database';
import { isUnstorableText } from '@consentry/validation';
import { Adapter, AdapterPayload } from 'oidc-provider';

import { TppClientCache } from './tpp-client.cache.js';
import { scopeOfRoles } from './tpp-roles.js';

/**
 * A TPP's client as oidc-provider sees it. The row's key and roles are authoritative: stored metadata
 * cannot name another client, widen its scope, or pick a response mode other than `query`.
 */
export function tppClientMetadata(clientId: string, metadata: AdapterPayload, roles: readonly string[]): AdapterPayload {
  return { ...metadata, client_id: clientId, scope: scopeOfRoles(roles), response_modes: ['query'] };
}

/**
 * oidc-provider's `Client` model read from the `tpp` registry: a TPP's `client_metadata` while it is
 * Active. A suspended or deregistered TPP's client is not found, so every endpoint refuses it.
 * The metadata of Active TPPs may be served from `cache`, which a change of the row evicts at once
 * (tpp-client.cache.ts); the token endpoint re-checks the status in the statement that audits the
 * issuance (token-audit.listener.ts), so no token is issued to a TPP suspended a moment before.
 * TPPs are written by onboarding (seeding, dynamic registration), never through this adapter.
 */
export class TppClientAdapter implements Adapter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache?: TppClientCache,
  ) {}

  async find(clientId: string): Promise<AdapterPayload | undefined> {
    // A client_id PostgreSQL cannot hold (U+0000) names no TPP: `invalid_client`, not a 500 from the query.
    if (isUnstorableText(clientId)) return undefined;
    const cached = this.cache?.get(clientId);
    if (cached) return cached;
    const generation = this.cache?.snapshot() ?? 0;
    const rows: Array<{ client_metadata: AdapterPayload; roles: string[] }> = await this.dataSource.query(
      `SELECT client_metadata, roles FROM tpp WHERE client_id = $1 AND status = 'Active'`,
      [clientId],
    );
    const row = rows[0];
    if (!row) return undefined;
    const payload = tppClientMetadata(clientId, row.client_metadata, row.roles);
    this.cache?.set(clientId, payload, generation);
    return payload;
  }

  upsert(): Promise<void> {
    return Promise.reject(new Error('TPP clients are registered in the tpp table, not through oidc-provider'));
  }

  findByUid(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  findByUserCode(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  consume(): Promise<void> {
    return Promise.reject(new Error('clients are not consumable'));
  }

  destroy(): Promise<void> {
    return Promise.reject(new Error('TPP clients are removed through the tpp registry'));
  }

  revokeByGrantId(): Promise<void> {
    return Promise.resolve();
  }
}

/** Whether `clientId` is an Active TPP right now, read from the row (never from the cache). */
export async function tppIsActive(dataSource: DataSource, clientId: string): Promise<boolean> {
  const rows: unknown[] = await dataSource.query(`SELECT 1 FROM tpp WHERE client_id = $1 AND status = 'Active'`, [clientId]);
  return rows.length > 0;
}
