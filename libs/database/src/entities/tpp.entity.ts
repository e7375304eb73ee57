import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type TppRole = 'AISP' | 'PISP' | 'CBPII';
/**
 * `Suspended`: an administrator's decision, reversible (reinstate). `Deregistered`: the TPP deleted its
 * registration (RFC 7592) while holding consents, so the row stays for them; final. Only `Active` gets
 * anything from the auth server or the API.
 */
export type TppStatus = 'Active' | 'Suspended' | 'Deregistered';

/** A third-party provider registered as an OAuth client. `clientMetadata` is what oidc-provider reads. */
@Entity({ name: 'tpp' })
// Partial unique expression index of migration 1764650000000 (one live registration per software_id): declared, never synchronised.
@Index('tpp_software_id_live_uq', { synchronize: false })
@Index('tpp_listed_idx', ['name', 'clientId'])
export class TppEntity {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', array: true })
  roles!: TppRole[];

  @Column({ type: 'text', default: 'Active' })
  status!: TppStatus;

  /** OAuth client metadata (redirect_uris, jwks, token_endpoint_auth_method, ...). Public keys only. */
  @Column({ name: 'client_metadata', type: 'jsonb' })
  clientMetadata!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
