import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AttackPlatform, clientAuthFields, HttpResult, oauthError, postForm, secretsInLogs, send, startAttackPlatform } from '../support/attack-platform.js';

// Low, so a case can reach them; the admin surfaces answer only a range the attacker is not in.
const PER_CLIENT = 4;
const PER_IP = 12;
const ADMIN_RANGE = '10.0.0.0/8';

/** A POST whose request line carries `target` exactly (an absolute-form URL, say), which fetch never sends. */
function postWithTarget(url: string, target: string, form: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(url);
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
    const sent = request({ hostname, port, method: 'POST', path: target, headers }, (answer) => {
      answer.resume();
      answer.on('end', () => resolve(answer.statusCode ?? 0));
    });
    sent.on('error', reject);
    sent.end(body);
  });
}

/** The answer with its per-request Id left out: what must be the same bytes for every hidden path. */
function shapeOf(result: HttpResult): string {
  return JSON.stringify(result.body, (key, value: unknown) => (key === 'Id' ? undefined : value));
}

/**
 * OWASP API Security Top 10 (2023), API5 Broken Function Level Authorization and API8 Security
 * Misconfiguration: the admin API and console answer only ADMIN_ALLOWED_CIDRS, decided on the path the
 * router serves, not on the bytes of the request line. API4 Unrestricted Resource Consumption: the
 * authorization server's rate limits hold for every spelling of /token and /request its router
 * accepts, and a forged X-Forwarded-For neither moves nor resets them.
 */
describe('OWASP API4, API5, API8:2023 network trust (admin allow-list, request-line spellings, forwarded addresses)', () => {
  let platform: AttackPlatform;
  let apiUrl: string;
  let issuer: string;

  beforeAll(async () => {
    platform = await startAttackPlatform('network_trust', {
      env: { ADMIN_ALLOWED_CIDRS: ADMIN_RANGE, OAUTH_RATE_LIMIT_PER_CLIENT: String(PER_CLIENT), OAUTH_RATE_LIMIT_PER_IP: String(PER_IP) },
    });
    apiUrl = platform.env.API_URL!;
    issuer = platform.env.AUTH_SERVER_URL!;
  });

  afterAll(async () => platform?.stop());

  it('hides the admin API and console from outside the allowed range under every escaped spelling and method, with one identical 404', async () => {
    const references = {
      api: shapeOf(await send(`${apiUrl}/admin/no-such-route`)),
      console: shapeOf(await send(`${apiUrl}/admin-console/no-such-page`)),
    };
    const spellings: Array<[string, keyof typeof references]> = [
      ['/admin/audit-events', 'api'],
      ['/%61dmin/audit-events', 'api'],
      ['/%61dmin/%61udit-events', 'api'],
      ['/admin/audit%2Devents', 'api'],
      ['/admin/tpps', 'api'],
      ['/admin-console/login', 'console'],
      ['/%61dmin-console/login', 'console'],
      ['/admin-console/%6C%6F%67%69%6E', 'console'],
      ['/admin-console/audit', 'console'],
    ];
    for (const [path, surface] of spellings) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const withBody = method === 'POST' || method === 'PUT' || method === 'PATCH';
        const answer = await send(`${apiUrl}${path}`, withBody ? { method, headers: { 'content-type': 'application/json' }, body: '{}' } : { method });
        expect({ path, method, status: answer.status, shape: shapeOf(answer), allow: answer.headers.get('allow') }).toEqual({ path, method, status: 404, shape: references[surface], allow: null });
      }
    }
  });

  it('does not let an outsider into the admin surfaces by forging X-Forwarded-For (no proxy is trusted)', async () => {
    for (const forwarded of ['10.1.2.3', '10.1.2.3, 127.0.0.1', '127.0.0.1, 10.1.2.3']) {
      const answer = await send(`${apiUrl}/%61dmin-console/login`, { headers: { 'x-forwarded-for': forwarded } });
      expect({ forwarded, status: answer.status }).toEqual({ forwarded, status: 404 });
    }
  });

  it('counts /TOKEN, /token/, /Request/, an absolute-form target and a fragment against the client’s token allowance', async () => {
    const tpp = platform.sandbox.tpp;
    const grant = async () => ({ grant_type: 'client_credentials', scope: 'accounts', ...(await clientAuthFields(tpp, issuer)) });
    const par = async () => ({ response_type: 'code', ...(await clientAuthFields(tpp, issuer)) });
    // Each reaches the provider and fails after the client authenticated (no DPoP proof), so each counts.
    const served = [
      (await postForm(`${issuer}/TOKEN`, await grant())).status,
      (await postForm(`${issuer}/token/`, await grant())).status,
      (await postForm(`${issuer}/Request/`, await par())).status,
      await postWithTarget(issuer, `${issuer}/token`, await grant()),
    ];
    expect(served).toEqual([400, 400, 400, 400]);
    const refused = await postForm(`${issuer}/tOkEn`, await grant());
    expect({ status: refused.status, error: oauthError(refused) }).toEqual({ status: 429, error: 'temporarily_unavailable' });
    expect(await postWithTarget(issuer, '/request#x', await par())).toBe(429);
  });

  it('counts the per-address limit against the real peer, whatever X-Forwarded-For claims', async () => {
    // Anonymous token requests count only against the address; the earlier cases spent some of it.
    const statuses: number[] = [];
    for (let i = 0; i <= PER_IP && !statuses.includes(429); i++) {
      statuses.push((await postForm(`${issuer}/token`, { grant_type: 'client_credentials' }, { 'x-forwarded-for': `198.51.100.${i + 1}` })).status);
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.length).toBeLessThanOrEqual(PER_IP);
  });

  it('writes no secret to any log line', () => {
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
