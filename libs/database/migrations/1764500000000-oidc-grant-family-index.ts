import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One index that finds every oidc-provider row of a grant: its tokens and codes carry the grant's id in
 * grant_id, the Grant row itself is that id (model 'Grant', no grant_id). The consent expiry sweep
 * deletes a batch's grants and tokens with one array probe of it, where it took a probe of
 * oidc_model_grant_idx and another of the primary key per grant (docs/consent-expiry.md). Partial: the
 * models tied to no grant (sessions, interactions, clients) stay out.
 */
export class OidcGrantFamilyIndex1764500000000 implements MigrationInterface {
  name = 'OidcGrantFamilyIndex1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX oidc_model_grant_family_idx ON oidc_model ((coalesce(grant_id, id)))
      WHERE grant_id IS NOT NULL OR model = 'Grant'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS oidc_model_grant_family_idx`);
  }
}
