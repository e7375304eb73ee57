// `npm run audit:verify-export -- FILE`: checks an NDJSON export of an audit search (the admin console's
// "Export NDJSON", or GET /admin/audit-events/export?format=ndjson) from the file alone: every entry's hash
// recomputes, entries follow one another, and the last line is the bank's signed trailer, whose count,
// SHA-256 and head match the file. The trailer is verified with the bank's public message-signing keys:
// the API's /.well-known/message-signing-jwks.json (--jwks takes that URL or a saved copy of it).
// Plain ESM over the built libs (dist). Exit code 0: whole and the bank's; 1: not; 2: could not verify.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

function fail(message) {
  console.error(`audit:verify-export: ${message}`);
  process.exit(2);
}

let values;
let positionals;
try {
  ({ values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      jwks: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (error) {
  fail(error.message);
}
if (values.help || positionals.length !== 1) {
  console.log(
    [
      'usage: npm run audit:verify-export -- FILE [--jwks URL_OR_FILE]',
      '',
      '  --jwks URL_OR_FILE   the bank\'s public message-signing keys (default',
      '                       ${API_URL:-http://localhost:3000}/.well-known/message-signing-jwks.json)',
    ].join('\n'),
  );
  process.exit(values.help ? 0 : 2);
}
const [file] = positionals;
const jwksSource = values.jwks ?? `${(process.env.API_URL ?? 'http://localhost:3000').replace(/\/$/, '')}/.well-known/message-signing-jwks.json`;

let jwks;
try {
  if (/^https?:\/\//.test(jwksSource)) {
    const response = await fetch(jwksSource, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) fail(`${jwksSource} answered ${response.status}`);
    jwks = await response.json();
  } else {
    jwks = JSON.parse(await readFile(jwksSource, 'utf8'));
  }
} catch (error) {
  fail(`cannot read the bank's message-signing keys from ${jwksSource}: ${error.message}`);
}
if (!Array.isArray(jwks?.keys)) fail(`${jwksSource} is not a JWKS ({ "keys": [...] })`);

let verifyAuditSearchExport;
try {
  ({ verifyAuditSearchExport } = await import('@consentry/audit'));
} catch (error) {
  if (error.code === 'ERR_MODULE_NOT_FOUND') fail('the libs are not built: run `npm run build` first');
  throw error;
}
const result = await verifyAuditSearchExport(file, jwks).catch((error) => fail(`cannot read ${file}: ${error.message}`));
if (!result.ok) {
  console.log(`audit export BROKEN: ${result.reason}`);
  process.exit(1);
}
const { rows, throughSeq, filter, exportedAt } = result.summary;
console.log(`audit export intact: ${rows} entries, cut at entry ${throughSeq} on ${exportedAt}, search ${JSON.stringify(filter)}, signed by the bank`);
