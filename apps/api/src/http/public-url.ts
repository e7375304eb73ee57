/**
 * The API's public base URL (scheme, host, port): the audience of its access tokens, the `htu` of DPoP
 * proofs and the base of `Links`. Known only after listening when the configured port is 0.
 */
export class PublicUrl {
  private base: string;

  constructor(configured: string) {
    this.base = configured.replace(/\/+$/, '');
  }

  get value(): string {
    return this.base;
  }

  /** Set once the server listens, when API_URL named port 0 ("any free port"). */
  resolve(actual: string): void {
    this.base = actual.replace(/\/+$/, '');
  }

  /** The absolute URL of a request path (with its query string). */
  of(pathAndQuery: string): string {
    return `${this.base}${pathAndQuery.startsWith('/') ? '' : '/'}${pathAndQuery}`;
  }
}
