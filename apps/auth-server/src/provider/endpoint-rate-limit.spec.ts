import { IncomingMessage } from 'node:http';

import parseUrl from 'parseurl';
import { describe, expect, it } from 'vitest';

import { limitedEndpoint } from './endpoint-rate-limit.js';

interface ProviderRouter {
  post(name: string, path: string, ...middleware: Array<() => void>): ProviderRouter;
  match(method: string, path: string): { route: { name: string } } | undefined;
}

// oidc-provider's own router (not a public export, so loaded by a computed specifier): the limit must
// see a request as /token or /request exactly when the provider would serve it there.
async function providerRouter(): Promise<ProviderRouter> {
  const specifier = 'oidc-provider/lib/helpers/router.js';
  const { default: Router } = (await import(specifier)) as { default: new () => ProviderRouter };
  const router = new Router();
  const noop = () => undefined;
  for (const [name, path] of [['token', '/token'], ['pushed_authorization_request', '/request'], ['introspection', '/token/introspection'], ['revocation', '/token/revocation']] as const) {
    router.post(name, path, noop);
  }
  return router;
}

const SPELLINGS = [
  '/token', '/TOKEN', '/Token', '/tOkEn/', '/token/', '/token//', '//token', '/%74oken', '/to%6Ben', '/token%2F',
  '/token/introspection', '/token/revocation', '/TOKEN/REVOCATION/', '/request', '/REQUEST/', '/Request',
  '/requeſt', '/to\u212Aen', '/tokEN?x=1', '/request/?client_id=a', '/tokens', '/toke', '/', '', '/token ', '/ token',
  '/register', '/register/abc', '/register?x', '/REGISTER', '/token#x', '/request#/x', 'http://attacker/token',
  'http://h/TOKEN/?a', '/token\t', '/token\\', '/./token', '/x/../token', '/token;x',
];

describe('limitedEndpoint', () => {
  it('sees /token and /request exactly where oidc-provider routes them, whatever the spelling', async () => {
    const router = await providerRouter();
    for (const url of SPELLINGS) {
      // Koa's ctx.path, which oidc-provider's router matches.
      const path = parseUrl({ url } as IncomingMessage)?.pathname ?? '';
      const served = router.match('POST', path)?.route.name;
      const expected = served === 'token' || served === 'pushed_authorization_request' ? 'token' : undefined;
      const limited = limitedEndpoint(url);
      expect({ url, limited: limited === 'register' ? undefined : limited }).toEqual({ url, limited: expected });
    }
  });

  it('limits registration at the paths the auth server hands to its registration routes', () => {
    expect(limitedEndpoint('/register')).toBe('register');
    expect(limitedEndpoint('/register/client-1?x=1')).toBe('register');
    expect(limitedEndpoint('/registers')).toBeUndefined();
  });
});
