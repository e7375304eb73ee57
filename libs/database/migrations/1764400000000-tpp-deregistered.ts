import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A third TPP status, `Deregistered`: the TPP deleted its own registration (RFC 7592 section 2.3) but
 * holds consents, so its row stays for them and the audit trail. It is not an administrator's
 * suspension (`Suspended`, which can be reinstated); both statuses get nothing from the auth server or
 * the API.
 *
 * Also a trigger announcing every change of a `tpp` row on the `tpp_changed` channel (payload: the
 * client_id), so the auth server evicts its cached client metadata the moment a TPP is suspended,
 * deregistered or updated, whoever wrote the row. NOTIFY is transactional: it is delivered on commit.
 */
export class TppDeregistered1764400000000 implements MigrationInterface {
  name = 'TppDeregistered1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tpp DROP CONSTRAINT tpp_status_check`);
    await q.query(`ALTER TABLE tpp ADD CONSTRAINT tpp_status_check CHECK (status IN ('Active', 'Suspended', 'Deregistered'))`);
    await q.query(`
      CREATE FUNCTION tpp_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tpp_changed', COALESCE(OLD.client_id, NEW.client_id));
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER tpp_notify_change AFTER UPDATE OR DELETE ON tpp FOR EACH ROW EXECUTE FUNCTION tpp_notify_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER tpp_notify_change ON tpp`);
    await q.query(`DROP FUNCTION tpp_notify_change()`);
    // A deregistered TPP was refused everything, as a suspended one is.
    await q.query(`UPDATE tpp SET status = 'Suspended' WHERE status = 'Deregistered'`);
    await q.query(`ALTER TABLE tpp DROP CONSTRAINT tpp_status_check`);
    await q.query(`ALTER TABLE tpp ADD CONSTRAINT tpp_status_check CHECK (status IN ('Active', 'Suspended'))`);
  }
}
