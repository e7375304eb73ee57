import { parseArgs } from 'node:util';

import { loadAuthServerConfig, runOrExit, StartupError } from '@consentry/config';

import { registerSandboxTpp } from './sandbox-registration.js';

const USAGE = `usage: npm run register-tpp -w @consentry/auth-server -- --name "My App" --redirect-uri https://my-app.localhost/callback [--roles AISP,PISP] [--software-id id]`;

// Registers a TPP with the running sandbox auth server (AUTH_SERVER_URL), signed by the sandbox
// directory. Refused in production mode: production TPPs bring a statement from a real directory.
await runOrExit('register-tpp', async () => {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      roles: { type: 'string', default: 'AISP' },
      'software-id': { type: 'string' },
    },
  });
  if (!values.name || !values['redirect-uri']?.length) throw new StartupError(USAGE);
  const config = loadAuthServerConfig();
  const tpp = await registerSandboxTpp(config, {
    name: values.name,
    roles: values.roles.split(',').map((role) => role.trim().toUpperCase()),
    redirectUris: values['redirect-uri'],
    ...(values['software-id'] ? { softwareId: values['software-id'] } : {}),
  });
  process.stdout.write(
    `registered "${tpp.client_name}" as client_id ${tpp.client_id} (roles ${tpp.software_roles.join(', ')})\n` +
      `credentials (private key, registration access token): ${tpp.file}\n` +
      `manage it at ${tpp.registration_client_uri} (RFC 7592, Authorization: Bearer <registration_access_token>)\n`,
  );
});
