import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  AISP,
  ALL_READ_PERMISSIONS,
  AttackPlatform,
  authorisedConsent,
  AuthorisedConsent,
  clientCredentials,
  secretsInLogs,
  signIn,
  startAttackPlatform,
} from '../support/attack-platform.js';

/** One parsed log line and the app whose output it came from. */
interface LogLine {
  source: string;
  text: string;
  entry: Record<string, unknown> | undefined;
}

function parseLines(output: string[]): LogLine[] {
  return output.map((line) => {
    const match = /^\[([\w-]+)\] (.*)$/.exec(line);
    const source = match?.[1] ?? '';
    const text = match?.[2] ?? line;
    try {
      const entry = JSON.parse(text) as unknown;
      return { source, text, entry: typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined };
    } catch {
      return { source, text, entry: undefined };
    }
  });
}

/**
 * PCI DSS 10.2 (an audit trail of each access, with who and what) and 3.3/3.4 (no sensitive
 * authentication data, card and account numbers masked) read on what the apps actually print: a whole
 * consent journey, customer and admin sign-ins, at LOG_LEVEL=debug in the production (JSON) format.
 */
describe('PCI DSS 10.2 and 3.3 the log output of a whole journey', () => {
  let platform: AttackPlatform;
  let consent: AuthorisedConsent;
  let accountsInteractionId: string;

  beforeAll(async () => {
    platform = await startAttackPlatform('log_output');
    const psu = platform.sandbox.psus[0]!;
    consent = await authorisedConsent(platform, platform.tpp, {
      psu,
      permissions: [...ALL_READ_PERMISSIONS, 'ReadPAN'],
      accountIds: psu.accounts.map((account) => account.accountId),
    });
    const accounts = await platform.tpp.api(consent.accessToken, 'GET', `${AISP}/accounts`);
    expect(accounts.status).toBe(200);
    accountsInteractionId = accounts.headers.get('x-fapi-interaction-id')!;
    for (const account of consent.accountIds) {
      expect((await platform.tpp.api(consent.accessToken, 'GET', `${AISP}/accounts/${account}/transactions`)).status).toBe(200);
    }
    await signIn(platform, 'customer', psu);
    await signIn(platform, 'admin', platform.sandbox.admin);
    const own = await clientCredentials(platform, platform.tpp);
    expect((await platform.tpp.api(own, 'DELETE', `${AISP}/account-access-consents/${consent.consentId}`)).status).toBe(204);
  });

  afterAll(async () => platform?.stop());

  it('writes every line as one JSON object with its level, time, app and message', () => {
    const lines = parseLines(platform.output);
    expect(lines.length).toBeGreaterThan(20);
    const malformed = lines.filter(({ source, entry }) => {
      return entry === undefined || entry.app !== source || typeof entry.level !== 'string' || typeof entry.time !== 'string' || typeof entry.msg !== 'string';
    });
    expect(malformed.map((line) => `[${line.source}] ${line.text.slice(0, 200)}`)).toEqual([]);
  });

  it('names the interaction, the TPP and the consent on the request line of an OB call', () => {
    const line = parseLines(platform.output).find(({ entry }) => entry?.interactionId === accountsInteractionId);
    expect(line?.source).toBe('api');
    expect(line?.entry).toMatchObject({
      route: `${AISP}/accounts`,
      clientId: platform.sandbox.tpp.client_id,
      consentId: consent.consentId,
      req: { method: 'GET', url: `${AISP}/accounts` },
      res: { statusCode: 200 },
      msg: `GET ${AISP}/accounts 200`,
    });
  });

  it("names the TPP and the consent on the auth server's PAR, authorization, sign-in and token lines", () => {
    const auth = parseLines(platform.output).flatMap(({ source, entry }) => (source === 'auth-server' && entry ? [entry] : []));
    for (const route of ['oidc:pushed_authorization_request', 'oidc:authorization', '/interaction/:uid', '/interaction/:uid/login', 'oidc:token']) {
      const withConsent = auth.filter((entry) => entry.route === route && entry.consentId === consent.consentId);
      expect(withConsent.length, route).toBeGreaterThan(0);
      for (const entry of withConsent) {
        expect(entry.clientId).toBe(platform.sandbox.tpp.client_id);
        expect(entry.interactionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      }
    }
  });

  it('writes no secret to any log line', () => {
    // Full account and card numbers, passwords, TOTP seeds, private keys and every token issued above.
    expect(platform.secrets.size).toBeGreaterThan(15);
    expect(secretsInLogs(platform)).toEqual([]);
  });
});
