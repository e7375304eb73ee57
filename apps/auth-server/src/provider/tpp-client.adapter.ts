import { DataSource } from '@consentry/database';
import { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * oidc-provider's `Client` model read from the `tpp` registry: a TPP's `client_metadata` while it is
 * Active. A suspended TPP's client is not found, so every endpoint refuses it at once (oidc-provider
 * re-reads the adapter on each request and caches only the parsed client by content hash).
 * TPPs are written by onboarding (seeding, later dynamic registration), never through this adapter.
 */
export class TppClientAdapter implements Adapter {
  constructor(private readonly dataSource: DataSource) {}

  async find(clientId: string): Promise<AdapterPayload | undefined> {
    const rows: Array<{ client_metadata: AdapterPayload }> = await this.dataSource.query(
      `SELECT client_metadata FROM tpp WHERE client_id = $1 AND status = 'Active'`,
      [clientId],
    );
    const metadata = rows[0]?.client_metadata;
    // The row's key is authoritative: metadata cannot name another client.
    return metadata ? { ...metadata, client_id: clientId } : undefined;
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
