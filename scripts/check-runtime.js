// Fails fast, before any build, when `npm test` cannot succeed on this machine: npm scripts run on
// something older than the pinned Node 24 (the `node` devDependency's install script did not run, see
// the README's Quick start), or PostgreSQL, Redis, Chromium or the UK OB specifications are missing
// (check-prerequisites.js), each reported with the command that provides it.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`consentry: Node ${process.versions.node} is too old: run this through npm (\`npm test\`) or \`npx node\`, which use the Node 24 that \`npm ci\` installs (run \`npm ci\` first if it has not run).`);
  process.exit(1);
}

const { missingPrerequisites } = await import('./check-prerequisites.js');
const missing = await missingPrerequisites();
if (missing.length > 0) {
  console.error('consentry: `npm test` needs what is missing below; run the command given for each, then `npm test` again.');
  for (const { name, where, problem, command } of missing) {
    console.error(`\n  ${name} at ${where}: ${problem}\n    ${command}`);
  }
  process.exit(1);
}
