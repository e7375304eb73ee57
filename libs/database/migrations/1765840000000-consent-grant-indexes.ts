import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A consent found by its grant: when the PSU's grant is revoked (EndConsentOfRevokedGrant) and when the
 * auth server audits a token revocation (`token.revoked` names the grant's consent). Without these, each
 * was a scan of every consent ever made. Partial: only a live grant is looked up.
 */
export class ConsentGrantIndexes1765840000000 implements MigrationInterface {
  name = 'ConsentGrantIndexes1765840000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX account_access_consent_grant_idx ON account_access_consent (grant_id) WHERE grant_id IS NOT NULL`);
    await q.query(`CREATE INDEX payment_consent_grant_idx ON payment_consent (grant_id) WHERE grant_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS payment_consent_grant_idx`);
    await q.query(`DROP INDEX IF EXISTS account_access_consent_grant_idx`);
  }
}
