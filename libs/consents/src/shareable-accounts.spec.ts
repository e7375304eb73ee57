import { uuidOrNull } from '@consentry/database';
import { createTestDatabase, queryPlan, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { shareableAccountCondition } from './authorise-account-access-consent.use-case.js';

const PSU = '00000000-0000-4000-8000-0000000000c1';

describe('a PSU id compared with a uuid column (uuidOrNull, shareableAccountCondition)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('shareable_accounts');
    await db.dataSource.query(`INSERT INTO psu (psu_id, username, display_name, password_hash, totp_secret_enc) VALUES ($1, 'c1', 'C One', 'h', 't')`, [PSU]);
  });
  afterAll(async () => db?.drop());

  it('finds the PSU by its id, and nothing (no error) for an id that is no uuid', async () => {
    const find = (id: string) => db.dataSource.query(`SELECT display_name FROM psu WHERE psu_id = ${uuidOrNull('$1')}`, [id]);
    expect(await find(PSU)).toEqual([{ display_name: 'C One' }]);
    expect(await find(PSU.toUpperCase())).toEqual([{ display_name: 'C One' }]);
    for (const bad of ['', 'not-a-uuid', `${PSU}x`, `'; DROP TABLE psu; --`]) expect(await find(bad), bad).toEqual([]);
  });

  it('reads the PSU and its accounts through their indexes: until 7 December 2026 psu_id::text = $1 read the whole table', async () => {
    // Sequential scans priced out: a plan that can use an index does, one that cannot still scans.
    const plan = async (sql: string): Promise<string[]> => (await queryPlan(db.dataSource, sql, [PSU], { seqScans: false })).map((node) => node['Node Type']);
    expect(await plan(`SELECT display_name FROM psu WHERE psu_id = ${uuidOrNull('$1')}`)).not.toContain('Seq Scan');
    expect(await plan(`SELECT account_id FROM account a WHERE ${shareableAccountCondition('a', '$1')}`)).not.toContain('Seq Scan');
    // The old comparison, for contrast: no index can serve it.
    expect(await plan(`SELECT display_name FROM psu WHERE psu_id::text = $1`)).toContain('Seq Scan');
  });
});
