import { DataSource } from '@consentry/database';
import { Adapter, AdapterPayload } from 'oidc-provider';

import { scopeOfRoles } from './tpp-roles.js';

/**
 * oidc-provider's `Client` model read from the `tpp` registry: a TPP's `client_metadata` while it is
 * Active. A suspended TPP's client is not found, so every endpoint refuses it at once (oidc-provider
 * re-reads the adapter on each request and caches only the parsed client by content hash).
 * The allowed `scope` comes from the TPP's roles, never from its metadata: an AISP-only TPP cannot be
 * granted `payments` whatever it registered. TPPs are written by onboarding (seeding, dynamic
 * registration), never through this adapter.
 */
export class TppClientAdapter implements Adapter {
  constructor(private readonly dataSource: DataSource) {}

  async find(clientId: string): Promise<AdapterPayload | undefined> {
    const rows: Array<{ client_metadata: AdapterPayload; roles: string[] }> = await this.dataSource.query(
      `SELECT client_metadata, roles FROM tpp WHERE client_id = $1 AND status = 'Active'`,
      [clientId],
    );
    const row = rows[0];
    if (!row) return undefined;
    // The row's key and roles are authoritative: metadata cannot name another client or widen its scope.
    return { ...row.client_metadata, client_id: clientId, scope: scopeOfRoles(row.roles) };
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
