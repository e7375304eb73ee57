// POST /domestic-vrps throughput: Consentry's API with the whole payment path, under one AUTH VRP
// consent (DPoP-bound token and its checks, the x-jws-signature verify, x-idempotency-key, the control
// parameters under the consent's row lock, the PDNG VRP and its audit event, the atomic debit at the
// sandbox ledger, the ACSP update and its audit event, the signed response; the risk engine's decision
// with the sandbox's rules, scoring only: sandbox-rules-scored.yaml) against a bare Fastify+pg
// baseline doing the ledger's two writes in one transaction (a conditional balance UPDATE and a payment
// INSERT) plus a PS256 verify of the body's JWS with jose (baseline.js), in one run.
//
// Each request has its own body (a fresh EndToEndIdentification), JWS (PS256) and idempotency key, all
// made before the timed window, and, for the API, its own DPoP proof (each jti is single-use), made
// synchronously in autocannon's request hook as the request leaves: a proof made ahead would age past the
// API's 60 s window in a slow round. How fast the preparation runs, and the most autocannon can send
// with these requests, proofs included (against a server that answers 201 at once), are printed first:
// the generator's ceiling must sit far above both targets. Each round prints the generator's CPU per
// request too.
//
// Loopback only, bounded: REQUESTS per target and round (default 2000), ROUNDS alternating rounds
// (default 4), CONNECTIONS connections (default 10), the same for both. Each round is timed from the
// first request sent to the last response read (autocannon's own duration moves in whole seconds).
// Targets: API >= 0.6x the baseline's req/s, API p99 within 20 ms of the baseline's (issue 12); the risk
// decision adds at most 5 ms p99 to the API's path (issue 13). That is measured two ways: an A/B, a second
// API (its own servers' process, database and consent) whose rules file has no rule (no-rules.yaml: the
// decision still recorded, with its running totals, history and audit event, but no look-up and no
// account lock) measured in the same alternating rounds, its p99 against the API's with the sandbox's
// rules (RISK_AB=0 leaves it out); and the API's consentry_risk_decision_seconds histogram, read before
// and after each round, so given as the bucket it falls in (an upper bound: it times the two statements
// that carry the decision, the VRP's own reads and writes in them). Not run by CI.
//   npx nx run-many -t build && npx node bench/payments/run.js     (or: npm run bench payments)
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import { CompactSign, importJWK } from 'jose';

import { dpopProver } from '../support/issuer.js';
import { loopBusy, machineBusyMs, median, processesBusyMs, serverUsage } from '../support/usage.js';

const REQUESTS = Number(process.env.REQUESTS ?? 2000);
const WARMUP = Number(process.env.WARMUP ?? 300);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const TARGET_RATIO = 0.6;
const TARGET_P99_MS = 20;
const TARGET_DECISION_P99_MS = 5;
const PATH = '/open-banking/v4.0/pisp/domestic-vrps';
const OB_IAT = 'http://openbanking.org.uk/iat';
const OB_ISS = 'http://openbanking.org.uk/iss';
const OB_TAN = 'http://openbanking.org.uk/tan';

// BENCH_SERVER_NODE_ARGS passes flags to the servers' process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const execArgv = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
const crit = { [OB_IAT]: true, [OB_ISS]: true, [OB_TAN]: true };
const encoder = new TextEncoder();

/** A servers' process (servers.js) with `env`, and what requests to its targets are made with. */
async function startServers(env) {
  const child = fork(fileURLToPath(new URL('./servers.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, env: { ...process.env, ...env } });
  const setup = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)));
  });
  return { child, setup, prove: dpopProver(setup.dpopJwk), signingKey: await importJWK(setup.signingJwk, 'PS256') };
}

const AB = process.env.RISK_AB !== '0';
const main = await startServers({});
// The A/B's other side: the same API whose rules file has no rule.
const plain = AB ? await startServers({ RISK_RULES_FILE: fileURLToPath(new URL('./no-rules.yaml', import.meta.url)) }) : null;
const sides = [main, ...(plain ? [plain] : [])];
const targets = {
  baseline: { ...main.setup.targets.baseline, side: main },
  api: { ...main.setup.targets.api, side: main },
  ...(plain ? { plain: { ...plain.setup.targets.api, side: plain } } : {}),
  ...(main.setup.targets.floor ? { floor: { ...main.setup.targets.floor, side: main } } : {}),
};
const LABELS = { baseline: 'bare baseline', api: 'Consentry API', plain: 'API, no rules', floor: "floor (issue's list)" };

function vrpBody({ consentId, initiation, payee }, reference) {
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
async function jws(side, body) {
  const { signing } = side.setup;
  const header = { alg: 'PS256', kid: signing.kid, typ: 'JOSE', cty: 'application/json', [OB_IAT]: Math.floor(Date.now() / 1000), [OB_ISS]: signing.iss, [OB_TAN]: signing.tan, crit: Object.keys(crit) };
  const [protectedHeader, , signature] = (await new CompactSign(encoder.encode(body)).setProtectedHeader(header).sign(side.signingKey, { crit })).split('.');
  return `${protectedHeader}..${signature}`;
}


/** `count` requests for `target`, each with its own body, signature, idempotency key (and proof for the API). */
async function prepare(target, count) {
  const prepared = [];
  for (let i = 0; i < count; i++) {
    const body = vrpBody(target.side.setup, `B-${randomUUID().slice(0, 23)}`);
    const headers = {
      'content-type': 'application/json',
      'x-fapi-customer-ip-address': '198.51.100.7',
      'x-idempotency-key': randomUUID(),
      'x-jws-signature': await jws(target.side, body),
    };
    if (target.token) headers.authorization = `DPoP ${target.token}`;
    prepared.push({ body, headers });
  }
  return prepared;
}

// Resolves to autocannon's result and the seconds from the first request sent to the last response read.
async function fire(target, prepared, expectedStatus = 201) {
  const url = `${target.url}${PATH}`;
  let next = 0;
  let refused;
  let first;
  let last;
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    amount: prepared.length,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          first ??= performance.now();
          const { body, headers } = prepared[next++];
          // The DPoP proof is made as the request leaves (each is single-use and ages out after 60 s).
          const proof = target.token ? { dpop: target.side.prove('POST', url, target.token) } : {};
          return { ...request, body, headers: { ...request.headers, ...headers, ...proof } };
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

// The API's risk decision histogram (consentry_risk_decision_seconds on its /metrics), all decisions
// together: cumulative count per bucket's upper bound, in seconds.
async function decisionBuckets(target) {
  const text = await (await fetch(`${target.url}/metrics`)).text();
  const buckets = new Map();
  for (const line of text.split('\n')) {
    const match = /^consentry_risk_decision_seconds_bucket\{.*le="([^"]+)".*\} (\d+)$/.exec(line);
    if (match) buckets.set(match[1], (buckets.get(match[1]) ?? 0) + Number(match[2]));
  }
  return buckets;
}

// The bucket the p99 of the decisions between two reads falls in: "a-b ms" (a histogram gives no finer).
function decisionP99(before, after) {
  const bounds = [...after.keys()].sort((a, b) => Number(a) - Number(b));
  const counts = bounds.map((le) => after.get(le) - (before.get(le) ?? 0));
  const total = counts.at(-1);
  if (!total) return { label: 'no decisions', upperMs: null };
  const index = counts.findIndex((count) => count >= 0.99 * total);
  const ms = (le) => (le === '+Inf' ? 'inf' : String(Number(le) * 1000));
  return { label: `${index === 0 ? '0' : ms(bounds[index - 1])}-${ms(bounds[index])} ms over ${total} decisions`, upperMs: bounds[index] === '+Inf' ? Infinity : Number(bounds[index]) * 1000 };
}

// The data stores' processes on this machine, whose CPU per request each round prints (see processesBusyMs).
const STORES = ['postgres', 'redis-server'];

async function measure(label, target) {
  await fire(target, await prepare(target, WARMUP));
  const prepared = await prepare(target, REQUESTS);
  const decisionsBefore = target.metrics ? await decisionBuckets(target) : null;
  const cpuBefore = await serverUsage(target.side.child);
  const machineBefore = machineBusyMs();
  const storesBefore = STORES.map(processesBusyMs);
  const generatorBefore = process.cpuUsage();
  const { result, seconds } = await fire(target, prepared);
  const generatorAfter = process.cpuUsage(generatorBefore);
  const storesAfter = STORES.map(processesBusyMs);
  const machineAfter = machineBusyMs();
  const cpuAfter = await serverUsage(target.side.child);
  const rate = REQUESTS / seconds;
  const decision = decisionsBefore ? decisionP99(decisionsBefore, await decisionBuckets(target)) : null;
  const perRequest = (ms) => (ms / REQUESTS).toFixed(2);
  console.log(
    `${label.padEnd(22)} ${rate.toFixed(0).padStart(5)} req/s   p50 ${String(result.latency.p50).padStart(3)} ms   p99 ${String(result.latency.p99).padStart(4)} ms   ` +
      `server CPU ${perRequest(cpuAfter.total - cpuBefore.total)} ms/req (main thread ${cpuAfter.mainThread === null ? '?' : perRequest(cpuAfter.mainThread - cpuBefore.mainThread)}), ` +
      `event loop ${(100 * loopBusy(cpuBefore, cpuAfter)).toFixed(0)} % busy, generator ${perRequest((generatorAfter.user + generatorAfter.system) / 1000)} ms/req, ` +
      `machine ${machineBefore === null ? '?' : perRequest(machineAfter - machineBefore)} ms/req ` +
      `(${STORES.map((name, i) => `${name} ${storesBefore[i] === null || storesAfter[i] === null ? '?' : perRequest(storesAfter[i] - storesBefore[i])}`).join(', ')}), GC ${(cpuAfter.gc.totalMs - cpuBefore.gc.totalMs).toFixed(0)} ms (longest ${cpuAfter.gc.maxMs.toFixed(1)})` +
      (decision ? `, risk decision p99 ${decision.label}` : ''),
  );
  return { rate, p50: result.latency.p50, p99: result.latency.p99, decisionP99Ms: decision?.upperMs ?? null };
}

run: try {
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`POST domestic-vrps, ${REQUESTS} requests per target and round, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds; load average at start ${load}`);

  // Sanity: the API (and the floor) makes one VRP, ACSP, and signs its answer.
  for (const target of [targets.api, ...(targets.plain ? [targets.plain] : []), ...(targets.floor ? [targets.floor] : [])]) {
    const [check] = await prepare(target, 1);
    const response = await fetch(`${target.url}${PATH}`, {
      method: 'POST',
      headers: { ...check.headers, dpop: target.side.prove('POST', `${target.url}${PATH}`, target.token) },
      body: check.body,
    });
    const answer = await response.json();
    if (response.status !== 201 || answer.Data?.Status !== 'ACSP' || !response.headers.get('x-jws-signature')) {
      throw new Error(`API sanity check failed: ${response.status} ${JSON.stringify(answer)}`);
    }
  }

  // The generator: how fast requests are prepared, and the most autocannon sends with them (proofs made).
  const sinkTarget = { url: main.setup.targets.sink.url, token: targets.api.token, side: main };
  const started = performance.now();
  const sinkRequests = await prepare(targets.api, REQUESTS);
  const prepareRate = REQUESTS / ((performance.now() - started) / 1000);
  await fire(sinkTarget, sinkRequests.slice(0, WARMUP));
  const sink = await fire(sinkTarget, sinkRequests);
  console.log(`generator: ${prepareRate.toFixed(0)} requests prepared/s (outside the window); autocannon alone sends ${(REQUESTS / sink.seconds).toFixed(0)} of them/s to a server that answers at once`);

  const names = Object.keys(targets);
  const results = Object.fromEntries(names.map((name) => [name, []]));
  const only = process.env.ONLY; // ONLY=api (or baseline, or plain) measures one target alone, e.g. to profile it.
  for (let round = 1; round <= ROUNDS; round++) {
    // Each round starts with another target (other load on a shared machine drifts).
    const order = names.map((_, i) => names[(i + round - 1) % names.length]);
    for (const name of order) if (!only || only === name) results[name].push(await measure(`${LABELS[name]} #${round}`, targets[name]));
  }
  for (const side of sides) {
    const counts = await new Promise((resolve) => {
      side.child.once('message', (message) => resolve(message.counts));
      side.child.send('counts');
    });
    console.log(
      `written${side === plain ? ' (no rules)' : ''}: ${counts.acsp} VRPs ACSP (${counts.other} in another status), ${counts.baseline} baseline payments` +
        (counts.floor ? `, ${counts.floor.paid} floor payments with ${counts.floor.audited} audit events` : ''),
    );
  }
  if (only) break run;

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
  const decisionP99s = results.api.map((r) => r.decisionP99Ms);
  console.log(
    `risk decision p99 on the API's path (target <= ${TARGET_DECISION_P99_MS} ms, issue 13), each round's bucket upper bound: ${decisionP99s.map((ms) => `${ms} ms`).join(', ')}; ` +
      `median ${median(decisionP99s)} ms ${verdict(median(decisionP99s) <= TARGET_DECISION_P99_MS)}`,
  );
  if (results.floor?.length) {
    const floor = best(results.floor);
    const floorMedian = median(results.floor.map((r, i) => r.rate / results.baseline[i].rate));
    console.log(
      `floor (floor.js: the issue's list of work on the path, by hand) against the baseline: ${floor.rate.toFixed(0)} req/s, p99 ${floor.p99} ms; ` +
        `best of rounds ${(floor.rate / base.rate).toFixed(2)}x, median of the rounds' ratios ${floorMedian.toFixed(2)}x; the API against the floor ${(api.rate / floor.rate).toFixed(2)}x`,
    );
  }
  if (plain) {
    const added = results.api.map((r, i) => r.p99 - results.plain[i].p99);
    const slower = results.api.map((r, i) => r.rate / results.plain[i].rate);
    console.log(
      `the sandbox's rules against none (A/B, target <= ${TARGET_DECISION_P99_MS} ms added p99, issue 13): API p99 - no-rules API p99 per round ${added.map((ms) => `${ms} ms`).join(', ')}; ` +
        `median ${median(added)} ms ${verdict(median(added) <= TARGET_DECISION_P99_MS)}; req/s with the rules / without, median ${median(slower).toFixed(2)}x`,
    );
  }
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  for (const side of sides) side.child.send('stop');
}
