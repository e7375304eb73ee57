import { IncomingMessage, ServerResponse } from 'node:http';

import Provider from 'oidc-provider';

/**
 * The oidc-provider instance, set once the server listens: the issuer includes the bound port when the
 * server was asked for any free port (port 0), so the provider is built after `listen`.
 */
export class OidcProviderRef {
  private instance: Provider | undefined;
  private callback: ((req: IncomingMessage, res: ServerResponse) => unknown) | undefined;

  set(provider: Provider): void {
    if (this.instance) throw new Error('the oidc-provider instance is already set');
    this.instance = provider;
    this.callback = provider.callback();
  }

  /** Serves a request with the provider's Koa app (composed once). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    if (!this.callback) throw new Error('the oidc-provider instance is not ready yet');
    void this.callback(req, res);
  }

  get ready(): boolean {
    return this.instance !== undefined;
  }

  get provider(): Provider {
    if (!this.instance) throw new Error('the oidc-provider instance is not ready yet');
    return this.instance;
  }
}
