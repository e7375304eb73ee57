// `npm run bench [name...]`: runs the benchmarks under bench/ one after another on the built code
// (token-endpoint, transactions, payments, risk-decision, audit-pipeline, consent-expiry, jws-verifier, notifications, scale; all of them when none is named). Each
// compares Consentry with a bare baseline in the same run and prints its own figures. Not run by CI.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(here, entry.name, 'run.js')))
  .map((entry) => entry.name)
  .sort();
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length > 0) {
  console.error(`bench: no benchmark named ${unknown.join(', ')} (have: ${all.join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const name of chosen.length > 0 ? chosen : all) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, [join(here, name, 'run.js')], { stdio: 'inherit', env: process.env });
  if (result.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
