// POST /domestic-vrps throughput: Consentry's API with the whole payment path, under one AUTH VRP
// consent (DPoP-bound token and its checks, the x-jws-signature verify, x-idempotency-key, the control
// parameters under the consent's row lock, the PDNG VRP and its audit event, the atomic debit at the
// sandbox ledger, the ACSP update and its audit event, the signed response) against a bare Fastify+pg
// baseline doing the ledger's two writes in one transaction (a conditional balance UPDATE and a payment
// INSERT) plus a PS256 verify of the body's JWS with jose (baseline.js), in one run.
//
// Each request has its own body (a fresh EndToEndIdentification), JWS, idempotency key and, for the API,
// DPoP proof (each jti is single-use): all made before the timed window, right before each round (the
// API takes proofs up to 60 s old), so the load generator only picks the next prepared request. How
// fast the preparation runs, and the most autocannon can send with these requests (against a server
// that answers 201 at once), are printed first: the generator's ceiling must sit far above both targets.
//
// Loopback only, bounded: REQUESTS per target and round (default 2000), ROUNDS alternating rounds
// (default 4), CONNECTIONS connections (default 10), the same for both. Each round is timed from the
// first request sent to the last response read (autocannon's own duration moves in whole seconds).
// Targets: API >= 0.6x the baseline's req/s, API p99 within 20 ms of the baseline's. Not run by CI.
//   npx nx run-many -t build && npx node bench/payments/run.js     (or: npm run bench payments)
import { fork } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import { CompactSign, importJWK, SignJWT } from 'jose';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const WARMUP = Number(process.env.WARMUP ?? 300);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const TARGET_RATIO = 0.6;
const TARGET_P99_MS = 20;
const PATH = '/open-banking/v4.0/pisp/domestic-vrps';
const OB_IAT = 'http://openbanking.org.uk/iat';
const OB_ISS = 'http://openbanking.org.uk/iss';
const OB_TAN = 'http://openbanking.org.uk/tan';

// BENCH_SERVER_NODE_ARGS passes flags to the servers' process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const execArgv = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const child = fork(fileURLToPath(new URL('./servers.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
const setup = await new Promise((resolve, reject) => {
  child.once('message', resolve);
  child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
});
const { targets, consentId, initiation, payee, signing } = setup;
const dpopKey = await importJWK(setup.dpopJwk, 'ES256');
const { d: _d, ...dpopPublicJwk } = setup.dpopJwk;
const signingKey = await importJWK(setup.signingJwk, 'PS256');
const crit = { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true };
const encoder = new TextEncoder();

function vrpBody(reference) {
  return JSON.stringify({
    Data: {
      ConsentId: consentId,
      PSUAuthenticationMethod: 'UK.OBIE.SCANotRequired',
      PSUInteractionType: 'OffSession',
      VRPType: 'UK.OBIE.VRPType.Other',
      Initiation: initiation,
      Instruction: {
        InstructionIdentification: `I-${reference}`,
        EndToEndIdentification: reference,
        InstructedAmount: { Amount: '0.01', Currency: 'GBP' },
        CreditorAccount: payee,
        RemittanceInformation: { Unstructured: ['Gym membership'] },
      },
    },
    Risk: {},
  });
}

// As the sandbox TPP signs (apps/api/e2e/support/tpp-message-signer.ts): detached, the OB claims critical.
async function jws(body) {
  const header = { alg: 'PS256', kid: signing.kid, typ: 'JOSE', cty: 'application/json', [OB_IAT]: Math.floor(Date.now() / 1000), [OB_ISS]: signing.iss, [OB_TAN]: signing.tan, crit: Object.keys(crit) };
  const [protectedHeader, , signature] = (await new CompactSign(encoder.encode(body)).setProtectedHeader(header).sign(signingKey, { crit })).split('.');
  return `${protectedHeader}..${signature}`;
}

function proof(htu, token) {
  return new SignJWT({ htm: 'POST', htu, ath: createHash('sha256').update(token).digest('base64url') })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: dpopPublicJwk })
    .setJti(randomUUID())
    .setIssuedAt()
    .sign(dpopKey);
}

/** `count` requests for `target`, each with its own body, signature, idempotency key (and proof for the API). */
async function prepare(target, count) {
  const url = `${target.url}${PATH}`;
  const prepared = [];
  for (let i = 0; i < count; i++) {
    const body = vrpBody(`B-${randomUUID().slice(0, 23)}`);
    const headers = {
      'content-type': 'application/json',
      'x-fapi-customer-ip-address': '198.51.100.7',
      'x-idempotency-key': randomUUID(),
      'x-jws-signature': await jws(body),
    };
    if (target.token) {
      headers.authorization = `DPoP ${target.token}`;
      headers.dpop = await proof(url, target.token);
    }
    prepared.push({ body, headers });
  }
  return prepared;
}

// Resolves to autocannon's result and the seconds from the first request sent to the last response read.
async function fire(target, prepared, expectedStatus = 201) {
  let next = 0;
  let refused;
  let first;
  let last;
  const instance = autocannon({
    url: `${target.url}${PATH}`,
    connections: CONNECTIONS,
    amount: prepared.length,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          first ??= performance.now();
          const { body, headers } = prepared[next++];
          return { ...request, body, headers: { ...request.headers, ...headers } };
        },
        onResponse: (status, body) => {
          if (status !== expectedStatus) refused ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  let statusOk = 0;
  instance.on('response', (_client, statusCode) => {
    last = performance.now();
    if (statusCode === expectedStatus) statusOk++;
  });
  const result = await instance;
  if (statusOk !== prepared.length) throw new Error(`${target.url}: ${statusOk}/${prepared.length} answered ${expectedStatus} (non-2xx ${result.non2xx}, errors ${result.errors}; first refusal: ${refused ?? '-'})`);
  return { result, seconds: (last - first) / 1000 };
}

function serverCpu() {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve({ total: (usage.user + usage.system) / 1000, mainThread: usage.mainThread, elu: usage.elu, gc: usage.gc }));
    child.send('cpu');
  });
}

// Busy CPU time of the whole machine (ms; Linux /proc/stat, 10 ms ticks), or null elsewhere.
function machineBusyMs() {
  try {
    const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return null;
  }
}

async function measure(label, target) {
  await fire(target, await prepare(target, WARMUP));
  const prepared = await prepare(target, REQUESTS);
  const cpuBefore = await serverCpu();
  const machineBefore = machineBusyMs();
  const generatorBefore = process.cpuUsage();
  const { result, seconds } = await fire(target, prepared);
  const generatorAfter = process.cpuUsage(generatorBefore);
  const machineAfter = machineBusyMs();
  const cpuAfter = await serverCpu();
  const rate = REQUESTS / seconds;
  const perRequest = (ms) => (ms / REQUESTS).toFixed(2);
  const loopBusy = (cpuAfter.elu.active - cpuBefore.elu.active) / (cpuAfter.elu.active + cpuAfter.elu.idle - cpuBefore.elu.active - cpuBefore.elu.idle);
  console.log(
    `${label.padEnd(22)} ${rate.toFixed(0).padStart(5)} req/s   p50 ${String(result.latency.p50).padStart(3)} ms   p99 ${String(result.latency.p99).padStart(4)} ms   ` +
      `server CPU ${perRequest(cpuAfter.total - cpuBefore.total)} ms/req (main thread ${cpuAfter.mainThread === null ? '?' : perRequest(cpuAfter.mainThread - cpuBefore.mainThread)}), ` +
      `event loop ${(100 * loopBusy).toFixed(0)} % busy, generator ${perRequest((generatorAfter.user + generatorAfter.system) / 1000)} ms/req, ` +
      `machine ${machineBefore === null ? '?' : perRequest(machineAfter - machineBefore)} ms/req, GC ${(cpuAfter.gc.totalMs - cpuBefore.gc.totalMs).toFixed(0)} ms (longest ${cpuAfter.gc.maxMs.toFixed(1)})`,
  );
  return { rate, p50: result.latency.p50, p99: result.latency.p99 };
}

const median = (values) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

main: try {
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`POST domestic-vrps, ${REQUESTS} requests per target and round, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds; load average at start ${load}`);

  // Sanity: the API makes one VRP, ACSP, and signs its answer.
  const [check] = await prepare(targets.api, 1);
  const response = await fetch(`${targets.api.url}${PATH}`, { method: 'POST', headers: check.headers, body: check.body });
  const answer = await response.json();
  if (response.status !== 201 || answer.Data?.Status !== 'ACSP' || !response.headers.get('x-jws-signature')) {
    throw new Error(`API sanity check failed: ${response.status} ${JSON.stringify(answer)}`);
  }

  // The generator: how fast requests are prepared, and the most autocannon sends with them.
  const started = performance.now();
  const sinkRequests = await prepare(targets.api, REQUESTS);
  const prepareRate = REQUESTS / ((performance.now() - started) / 1000);
  await fire(targets.sink, sinkRequests.slice(0, WARMUP));
  const sink = await fire(targets.sink, sinkRequests);
  console.log(`generator: ${prepareRate.toFixed(0)} requests prepared/s (outside the window); autocannon alone sends ${(REQUESTS / sink.seconds).toFixed(0)} of them/s to a server that answers at once`);

  const results = { baseline: [], api: [] };
  const only = process.env.ONLY; // ONLY=api (or baseline) measures one target alone, e.g. to profile it.
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? ['baseline', 'api'] : ['api', 'baseline'];
    for (const name of order) if (!only || only === name) results[name].push(await measure(`${name === 'api' ? 'Consentry API' : 'bare baseline'} #${round}`, targets[name]));
  }
  const counts = await new Promise((resolve) => {
    child.once('message', (message) => resolve(message.counts));
    child.send('counts');
  });
  console.log(`written: ${counts.acsp} VRPs ACSP (${counts.other} in another status), ${counts.baseline} baseline payments`);
  if (only) break main;

  // Best of the rounds for each (other load on a shared machine only ever slows a round down), and the
  // median of the rounds' own ratios (a drift in the host's speed moves both sides of a round together).
  const best = (list) => list.reduce((x, y) => (y.rate > x.rate ? y : x));
  const base = best(results.baseline);
  const api = best(results.api);
  const ratio = api.rate / base.rate;
  const medianRatio = median(results.api.map((r, i) => r.rate / results.baseline[i].rate));
  const medianP99 = median(results.api.map((r, i) => r.p99 - results.baseline[i].p99));
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  const row = (cells) => `| ${cells.map((cell, i) => String(cell).padEnd([26, 8, 8, 8][i])).join(' | ')} |`;
  console.log('');
  console.log(row(['', 'req/s', 'p50 ms', 'p99 ms']));
  console.log(row(['bare Fastify+pg+JWS (best)', base.rate.toFixed(0), base.p50, base.p99]));
  console.log(row(['Consentry API (best)', api.rate.toFixed(0), api.p50, api.p99]));
  console.log('');
  console.log(`ratio API/baseline (target >= ${TARGET_RATIO}x): best of rounds ${ratio.toFixed(2)}x ${verdict(ratio >= TARGET_RATIO)}; median of the rounds' ratios ${medianRatio.toFixed(2)}x ${verdict(medianRatio >= TARGET_RATIO)}`);
  console.log(
    `p99 API - baseline (target <= ${TARGET_P99_MS} ms): best of rounds ${(api.p99 - base.p99).toFixed(1)} ms ${verdict(api.p99 - base.p99 <= TARGET_P99_MS)}; ` +
      `median of the rounds' differences ${medianP99.toFixed(1)} ms ${verdict(medianP99 <= TARGET_P99_MS)}`,
  );
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  child.send('stop');
}
