import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Storage of oidc-provider's models (sessions, grants, codes, PAR requests, tokens, interactions). */
@Entity({ name: 'oidc_model' })
@Index('oidc_model_grant_idx', ['grantId'])
@Index('oidc_model_uid_idx', ['uid'])
@Index('oidc_model_expires_idx', ['expiresAt'])
// Expression index of migration 1764500000000 (a grant and its tokens by coalesce(grant_id, id)): declared, never synchronised.
@Index('oidc_model_grant_family_idx', { synchronize: false })
export class OidcModelEntity {
  @PrimaryColumn({ type: 'text' })
  model!: string;

  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'grant_id', type: 'text', nullable: true })
  grantId!: string | null;

  @Column({ type: 'text', nullable: true })
  uid!: string | null;

  @Column({ name: 'user_code', type: 'text', nullable: true })
  userCode!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true })
  consumedAt!: Date | null;
}
