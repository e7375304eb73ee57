import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateMessageSigningJwk } from '@consentry/message-signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AISP, ApiHarness } from '../support/api-harness.js';

// Production takes its message-signing keys from a file (written in beforeAll) and names its issuer, and
// refuses the harness's patterned SECRETS_KEY: a random one (nothing here reads the seeded secrets).
const keysDir = await mkdtemp(join(tmpdir(), 'consentry-net-keys-'));
const MESSAGE_SIGNING_JWKS_FILE = join(keysDir, 'message-signing.json');
const PRODUCTION = {
  CONSENTRY_MODE: 'production',
  ADMIN_ALLOWED_CIDRS: '127.0.0.0/8',
  API_URL: 'https://127.0.0.1:0',
  SECRETS_KEY: randomBytes(32).toString('base64'),
  MESSAGE_SIGNING_JWKS_FILE,
  MESSAGE_SIGNING_ISS: 'net-test-bank',
};

/**
 * Who the API believes the client is (TRUST_PROXY), who reaches the admin surfaces
 * (ADMIN_ALLOWED_CIDRS), and the headers every answer carries.
 */
describe('network trust and response headers', () => {
  // The admin surfaces answer only 10.0.0.0/8 here: a request from 127.0.0.1 gets in only as a
  // forwarded 10.x client, and only through a proxy TRUST_PROXY names.
  const harnesses: Record<string, ApiHarness> = {};
  const setups: Record<string, Record<string, string>> = {
    untrusted: { ADMIN_ALLOWED_CIDRS: '10.0.0.0/8' },
    loopbackProxy: { ADMIN_ALLOWED_CIDRS: '10.0.0.0/8', TRUST_PROXY: '127.0.0.1/32' },
    oneHop: { ADMIN_ALLOWED_CIDRS: '10.0.0.0/8', TRUST_PROXY: '1' },
    otherProxy: { ADMIN_ALLOWED_CIDRS: '10.0.0.0/8', TRUST_PROXY: '192.168.0.0/16' },
    sandbox: {},
    production: PRODUCTION,
    productionDocs: { ...PRODUCTION, DOCS_ENABLED: 'true' },
  };

  beforeAll(async () => {
    await writeFile(MESSAGE_SIGNING_JWKS_FILE, JSON.stringify({ keys: [await generateMessageSigningJwk()] }), { mode: 0o600 });
    await Promise.all(Object.entries(setups).map(async ([name, env]) => (harnesses[name] = await ApiHarness.start(`net_${name}`, env))));
  });
  afterAll(async () => {
    await Promise.all(Object.values(harnesses).map((h) => h.stop()));
    await rm(keysDir, { recursive: true, force: true });
  });

  const adminAs = (name: string, forwardedFor?: string) =>
    harnesses[name]!.call('GET', '/admin/audit-events', { headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} });

  it('answers an admin path outside ADMIN_ALLOWED_CIDRS as a route that does not exist', async () => {
    const refused = await adminAs('untrusted');
    expect(refused.status).toBe(404);
    expect((await harnesses.untrusted!.call('GET', '/admin-console')).status).toBe(404);
    expect((await harnesses.untrusted!.call('GET', '/admin/payments')).status).toBe(404);
    expect((await harnesses.untrusted!.call('GET', '/admin-console/payments')).status).toBe(404);
    const unknown = await harnesses.sandbox!.call('GET', '/admin/no-such-route');
    expect(unknown.status).toBe(404);
    expect(refused.body).toEqual(unknown.body);
    // The same request inside the ranges reaches the admin API (and its sign-in check).
    expect((await adminAs('sandbox')).status).toBe(401);
  });

  it('hides the admin surfaces however the path is escaped, for every method, with one identical 404', async () => {
    const outsider = harnesses.untrusted!;
    // The answer's Id is the request's own interaction id; everything else must be the same bytes.
    const shape = (body: unknown) => JSON.stringify(body, (key, value: unknown) => (key === 'Id' ? undefined : value));
    const references = {
      api: shape((await outsider.call('GET', '/admin/no-such-route')).body),
      console: shape((await outsider.call('GET', '/admin-console/no-such-page')).body),
    };
    const spellings: [string, keyof typeof references][] = [
      ['/admin/audit-events', 'api'],
      ['/%61dmin/audit-events', 'api'],
      ['/%61%64%6d%69%6e/audit-events', 'api'],
      ['/admin/%61udit-events', 'api'],
      ['/admin/audit-events?limit=1', 'api'],
      ['/%61dmin-console/login', 'console'],
      ['/admin-console/%6cogin', 'console'],
      ['/%61dmin-console', 'console'],
    ];
    for (const [path, surface] of spellings) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
        const answer = await outsider.call(method, path, method === 'GET' || method === 'DELETE' ? {} : { rawBody: 'x', headers: { 'content-type': 'text/plain' } });
        expect({ path, method, status: answer.status, body: shape(answer.body) }).toEqual({ path, method, status: 404, body: references[surface] });
        expect(answer.headers.get('allow')).toBeNull();
      }
    }
    // Inside the ranges the router decodes the same escapes and reaches the route: the spellings are one path.
    expect((await harnesses.sandbox!.call('GET', '/%61dmin/audit-events')).status).toBe(401);
    expect((await harnesses.sandbox!.call('GET', '/%61dmin-console/login')).status).toBe(200);
    expect((await harnesses.sandbox!.call('DELETE', '/%61dmin/audit-events')).status).toBe(405);
  });

  it('ignores a forged X-Forwarded-For from a peer TRUST_PROXY does not name', async () => {
    expect((await adminAs('untrusted', '10.1.2.3')).status).toBe(404);
    expect((await adminAs('otherProxy', '10.1.2.3')).status).toBe(404);
  });

  it('takes the client address from a trusted proxy, by CIDR or by hop count', async () => {
    expect((await adminAs('loopbackProxy', '10.1.2.3')).status).toBe(401);
    expect((await adminAs('oneHop', '10.1.2.3')).status).toBe(401);
  });

  it('reads only the hops it trusts: an address the client put in front of the proxy is not the client', async () => {
    expect((await adminAs('oneHop', '10.1.2.3, 203.0.113.9')).status).toBe(404);
    expect((await adminAs('loopbackProxy', '10.1.2.3, 203.0.113.9')).status).toBe(404);
  });

  it('sends Cache-Control: no-store on OB data, sessions, consents and admin answers', async () => {
    const h = harnesses.sandbox!;
    const consentId = await h.authorisedConsent(['ReadAccountsDetail', 'ReadBalances']);
    const data = await h.tpp('GET', `${AISP}/accounts`, { token: await h.consentToken(consentId) });
    expect(data.status).toBe(200);
    const session = await h.customerSession();
    const answers = [
      data,
      await h.call('POST', '/customer/sessions', { body: { username: 'alice', password: 'wrong-password', otp: '000000' } }),
      await h.call('GET', '/customer/consents', { headers: { authorization: `Bearer ${session}` } }),
      await h.call('GET', '/admin/audit-events'),
      await h.tpp('GET', `${AISP}/accounts`, { token: 'not-a-token' }),
    ];
    for (const answer of answers) expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(data.headers.get('strict-transport-security')).toBeNull();
  });

  it('sends HSTS when served over https', async () => {
    const answer = await harnesses.production!.call('GET', '/admin/audit-events');
    expect(answer.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('names the pages\' cookies __Host- with Path=/ over https, one name per realm', async () => {
    for (const [realm, cookie] of [['/dashboard/login', 'consentry-dashboard-login'], ['/admin-console/login', 'consentry-admin-console-login']] as const) {
      const secure = (await harnesses.production!.call('GET', realm)).headers.getSetCookie();
      expect(secure).toHaveLength(1);
      expect(secure[0]).toMatch(new RegExp(`^__Host-${cookie}=[A-Za-z0-9_-]+; Path=/; HttpOnly; Secure; SameSite=Strict$`));
      const plain = (await harnesses.sandbox!.call('GET', realm)).headers.getSetCookie();
      expect(plain[0]).toMatch(new RegExp(`^${cookie}=[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Strict$`));
    }
  });

  it('keeps /docs off in production unless DOCS_ENABLED', async () => {
    expect((await harnesses.production!.call('GET', '/docs-json')).status).toBe(404);
    expect((await harnesses.production!.call('GET', '/docs')).status).toBe(404);
    expect((await harnesses.productionDocs!.call('GET', '/docs-json')).status).toBe(200);
    expect((await harnesses.sandbox!.call('GET', '/docs-json')).status).toBe(200);
  });
});
