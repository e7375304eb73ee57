// `npm run admin:roles -- <username> [--grant ROLE]... [--revoke ROLE]... [--json]`: shows an admin's roles,
// or grants and revokes them (least privilege; the roles and what each is for: docs/people-pages.md). A
// change and its `admin.roles-changed` audit event commit together, an admin always keeps one role, and
// the admin's next request, in any session already open, is judged by the new roles.
// Reads DATABASE_URL (or the embedded PostgreSQL of `npm start`). Plain ESM over the built libs (dist):
// run `npm run build` first. Exit 0: done; 2: refused or failed.
import { parseArgs } from 'node:util';

import { operatorDatabaseUrl } from './platform.js';

function fail(message) {
  console.error(`admin:roles: ${message}`);
  process.exit(2);
}

async function loadLibs() {
  try {
    const [database, identity] = await Promise.all([import('@consentry/database'), import('@consentry/identity')]);
    return { database, identity };
  } catch (error) {
    if (error.code === 'ERR_MODULE_NOT_FOUND') fail('the libs are not built: run `npm run build` first');
    throw error;
  }
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      grant: { type: 'string', multiple: true, default: [] },
      revoke: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (error) {
  fail(error.message);
}
const { values, positionals } = parsed;
const { database, identity } = await loadLibs();
if (values.help || positionals.length !== 1) {
  const roles = identity.ADMIN_ROLES.map((role) => `    ${role.padEnd(17)}${identity.ADMIN_ROLE_DUTIES[role]}`);
  (values.help ? console.log : console.error)(['usage: npm run admin:roles -- <username> [--grant ROLE]... [--revoke ROLE]... [--json]', '', '  Without --grant or --revoke, shows the roles. The roles:', ...roles].join('\n'));
  process.exit(values.help ? 0 : 2);
}
const [username] = positionals;
const change = values.grant.length + values.revoke.length > 0;
let command;
try {
  if (change) command = new identity.ChangeAdminRolesCommand({ username, grant: values.grant, revoke: values.revoke });
} catch (error) {
  fail(error.message);
}

let url;
try {
  url = await operatorDatabaseUrl();
} catch (error) {
  fail(error.message);
}
const dataSource = database.createDataSource({ url, poolSize: 1, applicationName: 'consentry-admin-roles' });
try {
  await dataSource.initialize();
} catch (error) {
  fail(`cannot reach PostgreSQL (${error.message})`);
}
let result;
try {
  result = change ? await new identity.ChangeAdminRoles(dataSource).execute(command) : { roles: await identity.adminRolesOf(dataSource, username) };
} catch (error) {
  await dataSource.destroy();
  fail(error.message);
}
await dataSource.destroy();
if (result.roles === null) fail(`no admin has the username ${JSON.stringify(username)}`);
if (values.json) console.log(JSON.stringify({ username, ...result }));
else if (!change) console.log(`${username}: ${result.roles.join(', ')}`);
else console.log(`${username}: ${result.roles.join(', ')}${result.changed ? ` (was ${result.before.join(', ')})` : ' (unchanged)'}`);
