import { recordAuditEvent } from '@consentry/audit';
import { DataSource } from '@consentry/database';

import { totpSecretContext } from './credential-authenticator.js';
import { EnvironmentKeyManagement } from './key-management.js';

/**
 * A column holding ciphertexts of EnvironmentKeyManagement, and how each row's key-management context is
 * built. Every lib that stores a secret at rest exports its columns, so a rotation finds them all.
 */
export interface CiphertextColumn {
  table: string;
  idColumn: string;
  valueColumn: string;
  /** SQL condition on the row when only some rows hold a ciphertext (a card scheme, say); trusted text. */
  where?: string;
  context(id: string): string;
}

/** The TOTP seeds of PSUs and admins. */
export const IDENTITY_CIPHERTEXT_COLUMNS: readonly CiphertextColumn[] = [
  { table: 'psu', idColumn: 'psu_id', valueColumn: 'totp_secret_enc', context: (id) => totpSecretContext('psu', id) },
  { table: 'admin_user', idColumn: 'admin_id', valueColumn: 'totp_secret_enc', context: (id) => totpSecretContext('admin', id) },
];

export interface SecretsRotationResult {
  /** The id of the key every ciphertext is now under. */
  keyId: string;
  /** Per column: rows re-encrypted by this run (already-current rows are not counted). */
  columns: { table: string; column: string; reencrypted: number }[];
  reencrypted: number;
}

export interface SecretsRotationOptions {
  /** Rows read and rewritten per statement (default 500). */
  batchSize?: number;
  /** What the rotation's other steps did (counts, ids of ours; never a value), recorded in its audit event. */
  otherSteps?: Record<string, unknown>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A stored value that no configured key decrypts. Names the row (our id), never the value. */
export class SecretsRotationError extends Error {
  override name = 'SecretsRotationError';
}

/**
 * Re-encrypts every ciphertext of `columns` not yet under the first key of `keys`, in batches: each
 * batch is one UPDATE, which writes a row only if its value is still the one read (a concurrent change
 * wins). Idempotent and resumable: rows already under the write key are skipped, so a run stopped half
 * way is finished by running it again. Ends with a `secrets.rotated` audit event holding the counts.
 * Run it once every instance reads with the new key (SECRETS_KEYS=new,old); remove the old key after.
 */
export async function rotateSecrets(
  dataSource: DataSource,
  keys: EnvironmentKeyManagement,
  columns: readonly CiphertextColumn[],
  options: SecretsRotationOptions = {},
): Promise<SecretsRotationResult> {
  const batchSize = options.batchSize ?? 500;
  const prefix = keys.currentPrefix;
  const result: SecretsRotationResult = { keyId: keys.writeKeyId, columns: [], reencrypted: 0 };
  // The column being re-encrypted now, with its count so far: audited even when the run stops in it.
  let current: { table: string; column: string; reencrypted: number } | null = null;
  let stopped: string | undefined;
  try {
    for (const column of columns) {
      const { table, idColumn, valueColumn } = column;
      for (const name of [table, idColumn, valueColumn]) if (!IDENTIFIER.test(name)) throw new Error(`not an identifier: ${name}`);
      const filter = column.where ? ` AND (${column.where})` : '';
      // The id's own type, so the batch UPDATE joins on the primary key's index (not on a cast of it).
      const [typed] = (await dataSource.query(
        `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped`,
        [table, idColumn],
      )) as { type: string }[];
      if (!typed) throw new Error(`${table}.${idColumn} does not exist`);
      let reencrypted = 0;
      current = { table, column: valueColumn, reencrypted: 0 };
      let after: string | undefined;
      for (;;) {
        // Keyset paging on the primary key, in its own type: each batch starts where the last ended.
        const rows: { id: string; value: string }[] = await dataSource.query(
          `SELECT ${idColumn}::text AS id, ${valueColumn} AS value FROM ${table}
            WHERE NOT starts_with(${valueColumn}, $1)${filter}${after === undefined ? '' : ` AND ${idColumn} > $3`}
            ORDER BY ${idColumn} LIMIT $2`,
          after === undefined ? [prefix, batchSize] : [prefix, batchSize, after],
        );
        if (rows.length === 0) break;
        const ids: string[] = [];
        const before: string[] = [];
        const sealed: string[] = [];
        for (const row of rows) {
          const context = column.context(row.id);
          let plaintext: string;
          try {
            plaintext = keys.decrypt(row.value, context);
          } catch (error) {
            throw new SecretsRotationError(`${table}.${valueColumn} of ${idColumn} ${row.id} does not decrypt (${(error as Error).message}); ${result.reencrypted + reencrypted} values were re-encrypted before it`);
          }
          ids.push(row.id);
          before.push(row.value);
          sealed.push(keys.encrypt(plaintext, context));
        }
        const [updated] = (await dataSource.query(
          `WITH written AS (
             UPDATE ${table} t SET ${valueColumn} = n.sealed
               FROM unnest($1::text[], $2::text[], $3::text[]) AS n (id, before, sealed)
              WHERE t.${idColumn} = n.id::${typed.type} AND t.${valueColumn} = n.before
             RETURNING 1)
           SELECT count(*)::int AS n FROM written`,
          [ids, before, sealed],
        )) as { n: number }[];
        reencrypted += updated!.n;
        current.reencrypted = reencrypted;
        after = rows[rows.length - 1]!.id;
        if (rows.length < batchSize) break;
      }
      result.columns.push({ table, column: valueColumn, reencrypted });
      result.reencrypted += reencrypted;
      current = null;
    }
  } catch (error) {
    // Our message names the row (our id), never a value; any other error is named by its kind alone.
    stopped = error instanceof SecretsRotationError ? error.message : `stopped by ${(error as Error).name ?? 'an error'}`;
    throw error;
  } finally {
    // The values already re-encrypted stay so: the trail counts them whether the run ends or stops (until
    // 7 December 2026 a run stopped by a value no key decrypts recorded nothing, and the re-run counted
    // only its own). A run killed outright leaves its count to the next run's event.
    const byColumn = current && current.reencrypted > 0 ? [...result.columns, current] : result.columns;
    const reencrypted = result.reencrypted + (current?.reencrypted ?? 0);
    if (stopped === undefined || reencrypted > 0) {
      await recordAuditEvent(dataSource.manager, {
        type: 'secrets.rotated',
        actor: { type: 'system', id: 'secrets-rotate' },
        data: { keyId: result.keyId, reencrypted, byColumn, ...options.otherSteps, ...(stopped === undefined ? {} : { stopped }) },
      });
    }
  }
  return result;
}
