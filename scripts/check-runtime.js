// Fails fast when npm scripts run on anything older than the pinned Node 24
// (the `node` devDependency's install script did not run, see TOOLCHAIN.md).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`consentry: Node ${process.versions.node} is too old; run \`npm ci\` so the pinned Node 24 is installed.`);
  process.exit(1);
}
