import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type TppRole = 'AISP' | 'PISP' | 'CBPII';
export type TppStatus = 'Active' | 'Suspended';

/** A third-party provider registered as an OAuth client. `clientMetadata` is what oidc-provider reads. */
@Entity({ name: 'tpp' })
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
