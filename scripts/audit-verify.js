// `npm run audit:verify`: recomputes the audit log's hash chain and says whether it is intact, and
// checks it against the worker's signed checkpoints, so a rewritten chain or a cut-off tail shows too.
// Reads DATABASE_URL, or the embedded PostgreSQL of `npm start` when it is unset. Plain ESM over the
// built libs (dist): run `npm run build` first. Exit code 0: intact; 1: broken; 2: could not verify.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

function fail(message) {
  console.error(`audit:verify: ${message}`);
  process.exit(2);
}

function positiveInteger(name, value) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) fail(`--${name} must be a positive whole number (got "${value}")`);
  return value;
}

async function databaseUrl() {
  if (process.env.DATABASE_URL?.trim()) return { url: process.env.DATABASE_URL.trim(), embedded: false };
  const stateFile = join(process.env.CONSENTRY_DATA_DIR ?? '.data', 'embedded-postgres.json');
  let state;
  try {
    state = JSON.parse(await readFile(stateFile, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') {
      fail(`DATABASE_URL is not set and ${stateFile} does not exist: set DATABASE_URL, or start the platform once with \`npm start\``);
    }
    fail(`cannot read ${stateFile}: ${error.message}`);
  }
  if (typeof state?.url !== 'string') fail(`${stateFile} holds no "url": start the platform with \`npm start\` to rewrite it`);
  return { url: state.url, embedded: true };
}

function describeUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured database';
  }
}

async function loadLibs() {
  try {
    const [{ verifyAuditChain, readAuditCheckpoints, verifyAuditExport, verifyAuditExportRecorded }, { createDataSource }] = await Promise.all([
      import('@consentry/audit'),
      import('@consentry/database'),
    ]);
    return { verifyAuditChain, readAuditCheckpoints, verifyAuditExport, verifyAuditExportRecorded, createDataSource };
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
      'from-seq': { type: 'string' },
      'batch-size': { type: 'string' },
      checkpoints: { type: 'string' },
      'checkpoint-key': { type: 'string' },
      'no-checkpoints': { type: 'boolean', default: false },
      'anchor-export': { type: 'string' },
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
      'usage: npm run audit:verify -- [--from-seq N] [--batch-size N] [--json]',
      '         [--checkpoints DIR --checkpoint-key PUBLIC_JWK_FILE] [--no-checkpoints] [--anchor-export FILE]',
      '',
      '  --checkpoints DIR        signed checkpoints to check the chain against (default AUDIT_CHECKPOINT_DIR,',
      '                           else <data dir>/audit-checkpoints when it exists)',
      '  --checkpoint-key FILE    the public JWK that verifies them; keep it where the database admins cannot',
      '                           write (default AUDIT_CHECKPOINT_PUBLIC_KEY_FILE, else the sandbox key)',
      '  --anchor-export FILE     the last retention export: the remaining log must chain onto its lastHash',
    ].join('\n'),
  );
  process.exit(0);
}
const dataDir = process.env.CONSENTRY_DATA_DIR ?? '.data';
const checkpointDir = values['no-checkpoints']
  ? undefined
  : (values.checkpoints ?? process.env.AUDIT_CHECKPOINT_DIR ?? (existsSync(join(dataDir, 'audit-checkpoints')) ? join(dataDir, 'audit-checkpoints') : undefined));
const checkpointKeyFile =
  values['checkpoint-key'] ?? process.env.AUDIT_CHECKPOINT_PUBLIC_KEY_FILE ?? join(dataDir, 'audit-checkpoint-key.pub.json');
const fromSeq = positiveInteger('from-seq', values['from-seq']);
const batchSize = positiveInteger('batch-size', values['batch-size']);

const { url, embedded } = await databaseUrl();
const { verifyAuditChain, readAuditCheckpoints, verifyAuditExport, verifyAuditExportRecorded, createDataSource } = await loadLibs();

let checkpoints;
if (checkpointDir !== undefined) {
  let publicKey;
  try {
    const { importJWK } = await import('jose');
    const jwk = JSON.parse(await readFile(checkpointKeyFile, 'utf8'));
    publicKey = await importJWK(jwk, jwk.alg ?? 'ES256');
  } catch (error) {
    fail(`cannot load the checkpoint public key ${checkpointKeyFile} (${error.message}): pass --checkpoint-key, or --no-checkpoints`);
  }
  try {
    checkpoints = await readAuditCheckpoints(checkpointDir, publicKey);
  } catch (error) {
    if (error.code === 'ENOENT') fail(`checkpoint folder ${checkpointDir} does not exist`);
    // Any other error the file system gives (not a folder, no permission) is the operator's to fix, not
    // evidence: exit 2. Only a checkpoint that does not verify reports the trail broken.
    if (error.code !== undefined) fail(`cannot read the checkpoint folder ${checkpointDir}: ${error.message}`);
    // A checkpoint that does not verify is evidence in itself: report it as a broken trail.
    console.log(`audit trail BROKEN: ${error.message}`);
    process.exit(1);
  }
}

let anchor;
let anchorHeader;
if (values['anchor-export'] !== undefined) {
  const exported = await verifyAuditExport(values['anchor-export']).catch((error) => fail(`cannot read ${values['anchor-export']}: ${error.message}`));
  if (!exported.ok) {
    console.log(`retention export BROKEN: ${exported.reason}`);
    process.exit(1);
  }
  anchor = { seq: BigInt(exported.header.lastSeq), hash: exported.header.lastHash };
  anchorHeader = exported.header;
}
const dataSource = createDataSource({ url, poolSize: 1, applicationName: 'consentry-audit-verify' });
try {
  await dataSource.initialize();
} catch (error) {
  fail(
    `cannot reach PostgreSQL at ${describeUrl(url)} (${error.message})${embedded ? ': the embedded one runs only while `npm start` does' : ''}`,
  );
}

// The export must be the one its retention cut recorded (SHA-256), starting where the cut before it ended.
if (anchorHeader !== undefined) {
  const recorded = await verifyAuditExportRecorded(dataSource, values['anchor-export'], anchorHeader).catch(async (error) => {
    await dataSource.destroy();
    fail(`verification could not run: ${error.message}`);
  });
  if (!recorded.ok) {
    await dataSource.destroy();
    console.log(`retention export BROKEN: ${recorded.reason}`);
    process.exit(1);
  }
}

let result;
try {
  result = await verifyAuditChain(dataSource, {
    fromSeq: fromSeq === undefined ? undefined : BigInt(fromSeq),
    batchSize: batchSize === undefined ? undefined : Number(batchSize),
    checkpoints,
    anchor,
  });
} catch (error) {
  await dataSource.destroy();
  fail(`verification could not run: ${error.message}`);
}
await dataSource.destroy();

if (values.json) {
  console.log(JSON.stringify(result, (_, value) => (typeof value === 'bigint' ? value.toString() : value)));
} else if (result.ok) {
  const start = fromSeq ?? result.fromSeq;
  const scope = start === undefined ? '' : ` from seq ${start}`;
  const signed = checkpoints === undefined ? ', no signed checkpoints checked' : `, ${result.checkpoints} signed checkpoints matched`;
  console.log(`audit chain intact: ${result.entries} entries verified${scope}${signed}, head hash ${result.headHash}`);
} else {
  console.log(`audit chain BROKEN at seq ${result.firstBrokenSeq}: ${result.reason} (${result.entries} entries verified before it)`);
}
process.exit(result.ok ? 0 : 1);
