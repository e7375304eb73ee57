// `npm run secrets:rotate`: re-encrypts every customer secret at rest (TOTP seeds of PSUs and admins, card
// numbers in the ledger) under the first key of SECRETS_KEYS, and records a `secrets.rotated` audit event
// with the counts. Idempotent and resumable: values already under that key are skipped, so a run that
// stopped is finished by running it again. See docs/key-rotation.md for the whole procedure.
// Reads DATABASE_URL (or the embedded PostgreSQL of `npm start`) and SECRETS_KEYS / SECRETS_KEY like
// the apps. Plain ESM over the built libs (dist): run `npm run build` first. Exit 0: done; 2: failed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

function fail(message) {
  console.error(`secrets:rotate: ${message}`);
  process.exit(2);
}

async function databaseUrl() {
  if (process.env.DATABASE_URL?.trim()) return process.env.DATABASE_URL.trim();
  const stateFile = join(process.env.CONSENTRY_DATA_DIR ?? '.data', 'embedded-postgres.json');
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    if (typeof state?.url === 'string') return state.url;
  } catch (error) {
    if (error.code !== 'ENOENT') fail(`cannot read ${stateFile}: ${error.message}`);
  }
  return fail(`DATABASE_URL is not set and ${stateFile} holds no database: set DATABASE_URL, or start the platform once with \`npm start\``);
}

async function loadLibs() {
  try {
    const [config, database, identity, banking, consents] = await Promise.all([
      import('@consentry/config'),
      import('@consentry/database'),
      import('@consentry/identity'),
      import('@consentry/banking'),
      import('@consentry/consents'),
    ]);
    return { config, database, identity, banking, consents };
  } catch (error) {
    if (error.code === 'ERR_MODULE_NOT_FOUND') fail('the libs are not built: run `npm run build` first');
    throw error;
  }
}

// A mistyped option or a missing value is the operator's mistake (exit 2), never a result of the check
// (until 7 December 2026 parseArgs' throw exited 1, which for audit:verify means a broken trail).
let values;
try {
  ({ values } = parseArgs({
    options: {
      'batch-size': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  fail(error.message);
}
if (values.help) {
  console.log(
    [
      'usage: SECRETS_KEYS=new:<base64>,old:<base64> npm run secrets:rotate -- [--batch-size N] [--json]',
      '',
      '  Re-encrypts every secret at rest under the first key of SECRETS_KEYS. Every running instance must',
      '  already have the new key in its SECRETS_KEYS (first); remove the old key only after this succeeds.',
    ].join('\n'),
  );
  process.exit(0);
}
const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)) {
  fail(`--batch-size must be a whole number from 1 to 100000 (got "${values['batch-size']}")`);
}

const url = await databaseUrl();
const { config, database, identity, banking, consents } = await loadLibs();
let platform;
try {
  platform = config.loadPlatformConfig({ ...process.env, DATABASE_URL: url });
} catch (error) {
  fail(error.message);
}
const keys = new identity.EnvironmentKeyManagement(platform.secretsKeys);
const dataSource = database.createDataSource({ url, poolSize: 1, applicationName: 'consentry-secrets-rotate' });
try {
  await dataSource.initialize();
} catch (error) {
  fail(`cannot reach PostgreSQL (${error.message})`);
}
let result;
let approvals;
try {
  // The approvals of authorised payment consents, sealed under a key derived from the keyring: re-sealed
  // under the first key (each verified under its own first), so the old key can go.
  approvals = await consents.resealPaymentApprovals(dataSource, new consents.PaymentApprovalSeal(platform.secretsKeys), { batchSize });
  result = await identity.rotateSecrets(dataSource, keys, [...identity.IDENTITY_CIPHERTEXT_COLUMNS, ...banking.LEDGER_CIPHERTEXT_COLUMNS], {
    batchSize,
    otherSteps: { resealedPaymentApprovals: approvals.resealed, unverifiedPaymentApprovals: approvals.unverified.length },
  });
} catch (error) {
  await dataSource.destroy();
  // The message names a table and a row id, never a value or a key.
  fail(`${error.message}\nValues re-encrypted so far stay so; fix the cause and run it again to finish.`);
}
await dataSource.destroy();
if (values.json) console.log(JSON.stringify({ ...result, paymentApprovals: approvals }));
else {
  for (const { table, column, reencrypted } of result.columns) console.log(`${table}.${column}: ${reencrypted} re-encrypted`);
  console.log(`payment_consent.initiation_hash: ${approvals.resealed} approvals re-sealed`);
  if (approvals.unverified.length > 0) {
    console.log(
      `${approvals.unverified.length} authorised payment consents have a seal no configured key verifies (altered, or sealed under a key no longer listed); left as they are, their payments are refused U008: ${approvals.unverified.slice(0, 20).join(', ')}${approvals.unverified.length > 20 ? ', ...' : ''}`,
    );
  }
  console.log(`every secret at rest is under key "${result.keyId}" (${result.reencrypted} re-encrypted by this run)`);
}
