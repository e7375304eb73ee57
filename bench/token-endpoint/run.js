// Token endpoint throughput: Consentry's auth server against a bare oidc-provider with the same
// settings (in-memory adapter), in one run. client_credentials + private_key_jwt (ES256) + DPoP
// (with server nonce) + JWT access tokens. Every request's client assertion and DPoP proof is made
// before the timed window (each is single-use), so the load generator spends no CPU signing.
// Loopback only, bounded: REQUESTS per server and round (default 3000), ROUNDS rounds (default 3), 10
// connections. Not run by CI.
//   npx nx run-many -t build && npx node bench/token-endpoint/run.js
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import { tokenRequestPreparer } from '../support/token-requests.js';

const REQUESTS = Number(process.env.REQUESTS ?? 3000);
const CONNECTIONS = 10;
// Bare and ours alternate, round after round, so a burst of other load on the machine hits both alike.
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TARGET_RATIO = 0.8;

// BENCH_SERVER_NODE_ARGS passes flags to the servers' process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const execArgv = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const child = fork(fileURLToPath(new URL('./servers.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
const { ours, bare, tpp } = await new Promise((resolve, reject) => {
  child.once('message', resolve);
  child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
});

const preparer = await tokenRequestPreparer(tpp);

async function measure(label, issuer) {
  const prepared = await preparer.prepare(issuer, REQUESTS);
  // Warm-up outside the window with its own prepared requests.
  for (const warm of await preparer.prepare(issuer, 20)) await fetch(`${issuer}/token`, { method: 'POST', ...warm });
  let next = 0;
  // Timed here, from the first request sent to the last response read: autocannon's own duration (and
  // its end) moves in whole one-second ticks, too coarse for runs of a few seconds.
  let first;
  let last;
  const instance = autocannon({
    url: `${issuer}/token`,
    connections: CONNECTIONS,
    amount: REQUESTS,
    requests: [{ method: 'POST', setupRequest: (request) => {
      first ??= performance.now();
      return { ...request, ...prepared[next++ % prepared.length] };
    } }],
  });
  instance.on('response', () => { last = performance.now(); });
  const result = await instance;
  const seconds = (last - first) / 1000;
  const ok = result['2xx'];
  if (ok !== REQUESTS) throw new Error(`${label}: ${ok}/${REQUESTS} token responses were 2xx (non-2xx: ${result.non2xx}, errors: ${result.errors})`);
  const rate = ok / seconds;
  console.log(`${label.padEnd(34)} ${rate.toFixed(0).padStart(6)} req/s   p50 ${result.latency.p50} ms   p99 ${result.latency.p99} ms   (${ok} tokens in ${seconds.toFixed(2)} s)`);
  return { rate, p99: result.latency.p99 };
}

try {
  console.log(`token endpoint, client_credentials + private_key_jwt + DPoP + JWT access tokens, ${REQUESTS} requests, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds`);
  const results = { bare: [], ours: [] };
  for (let round = 1; round <= ROUNDS; round++) {
    results.bare.push(await measure(`bare oidc-provider (memory) #${round}`, bare));
    results.ours.push(await measure(`Consentry auth server #${round}`, ours));
  }
  // Best of the rounds for each: on a shared machine other load only ever slows a round down.
  const best = (list) => list.reduce((a, b) => (b.rate > a.rate ? b : a));
  const bareBest = best(results.bare);
  const oursBest = best(results.ours);
  const ratio = oursBest.rate / bareBest.rate;
  console.log(`best: bare ${bareBest.rate.toFixed(0)} req/s (p99 ${bareBest.p99} ms), Consentry ${oursBest.rate.toFixed(0)} req/s (p99 ${oursBest.p99} ms)`);
  console.log(`ratio ${ratio.toFixed(2)}x of the bare provider (target >= ${TARGET_RATIO}x): ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}`);
} finally {
  child.send('stop');
}
