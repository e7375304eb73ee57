import { ConsentStatus } from '@consentry/database';
import { createTestDatabase, TestDatabase } from '@consentry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consentLiveCondition, isConsentLive } from './consent-queries.js';

const CLIENT = 'tpp-live-rule';
const STATUSES: ConsentStatus[] = ['AWAU', 'AUTH', 'RJCT', 'CANC', 'EXPD'];

/** The live rule twice, in TypeScript and as SQL for counts: over every status and end date, they agree. */
describe('consentLiveCondition, isConsentLive in SQL', () => {
  let db: TestDatabase;
  const now = new Date('2026-12-06T12:00:00.000Z');
  const ends: Array<Date | null> = [null, new Date(now.getTime() - 1), now, new Date(now.getTime() + 1), new Date(now.getTime() + 86_400_000)];

  beforeAll(async () => {
    db = await createTestDatabase('consent_live_condition');
    await db.dataSource.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, 'Live Rule TPP', '{AISP}', '{}')`, [CLIENT]);
    let n = 0;
    for (const status of STATUSES) {
      for (const end of ends) {
        await db.dataSource.query(
          `INSERT INTO account_access_consent (consent_id, client_id, status, permissions, creation_date_time, status_update_date_time, expiration_date_time)
           VALUES ($1, $2, $3, '{ReadAccountsBasic}', $4, $4, $5)`,
          [`aac-live-${n++}`, CLIENT, status, now, end],
        );
      }
    }
  });
  afterAll(async () => db?.drop());

  it('marks live exactly the consents isConsentLive calls live, at the same instant', async () => {
    const rows: Array<{ status: ConsentStatus; expiration_date_time: Date | null; live: boolean }> = await db.dataSource.query(
      `SELECT c.status, c.expiration_date_time, ${consentLiveCondition('c', '$1')} AS live FROM account_access_consent c ORDER BY c.consent_id`,
      [now],
    );
    expect(rows).toHaveLength(STATUSES.length * ends.length);
    for (const row of rows) {
      expect(row.live, `${row.status} ending ${row.expiration_date_time?.toISOString() ?? 'never'}`).toBe(isConsentLive({ status: row.status, expirationDateTime: row.expiration_date_time }, now));
    }
    // Both sides of the edge are in the set: an end at `now` is not live, one a millisecond later is.
    expect(rows.filter((row) => row.live)).toHaveLength(3);
  });
});
