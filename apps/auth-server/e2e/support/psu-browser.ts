interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

/**
 * Plays the PSU's browser over the server-rendered forms: follows redirects by hand (so a test sees
 * each hop and stops at the TPP's redirect_uri), keeps cookies by name and path, posts forms.
 */
export class PsuBrowser {
  private readonly cookies = new Map<string, StoredCookie>();

  constructor(private readonly stopAt: string) {}

  /** Requests `url` and follows redirects on the server, returning the first non-redirect or the TPP callback. */
  async open(url: string | URL, init: { method?: string; form?: Record<string, string | string[]> } = {}): Promise<PageResponse> {
    let current = new URL(url);
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.form ? toForm(init.form) : undefined;
    for (let hop = 0; hop < 10; hop++) {
      if (current.href.startsWith(this.stopAt)) return { status: 0, url: current.href, headers: new Headers(), body: '' };
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: { cookie: this.cookieHeader(current), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body,
      });
      this.store(current, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current);
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: response.status, url: current.href, headers: response.headers, body: await response.text() };
    }
    throw new Error('too many redirects');
  }

  /**
   * POSTs a form once and does not follow the answer's redirect, as a browser whose button was clicked twice
   * sends the form twice before it moves on: the answer's status and Location.
   */
  async submit(url: string | URL, form: Record<string, string | string[]>): Promise<{ status: number; location: string | null }> {
    const target = new URL(url);
    const response = await fetch(target, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(target), 'content-type': 'application/x-www-form-urlencoded' },
      body: toForm(form),
    });
    this.store(target, response.headers.getSetCookie());
    await response.arrayBuffer();
    return { status: response.status, location: response.headers.get('location') };
  }

  private cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(url: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const pathAttribute = attributes.find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttribute ? pathAttribute.slice(5) : url.pathname.replace(/\/[^/]*$/, '') || '/';
      const expired = attributes.some((a) => /^expires=/i.test(a) && new Date(a.slice(8)).getTime() <= Date.now()) || value === '';
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }
}

function toForm(fields: Record<string, string | string[]>): URLSearchParams {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
  }
  return form;
}

/** The action and hidden CSRF token of the form posting to `actionSuffix` (e.g. "/login"). */
export function formOf(html: string, actionSuffix: string): { action: string; csrf: string } {
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => m[1]!.endsWith(actionSuffix));
  if (!form) throw new Error(`no form posting to *${actionSuffix}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(form[2]!)?.[1];
  if (!csrf) throw new Error('form without csrf token');
  return { action: form[1]!, csrf };
}

/** Account checkboxes of the consent page: value and label text. */
export function accountCheckboxes(html: string): Array<{ accountId: string; label: string }> {
  return [...html.matchAll(/<input type="checkbox" id="(account-\d+)" name="accountIds" value="([^"]+)"[^>]*>\s*<label for="\1">([\s\S]*?)<\/label>/g)].map((m) => ({
    accountId: m[2]!,
    label: m[3]!.replace(/<[^>]+>/g, ''),
  }));
}
