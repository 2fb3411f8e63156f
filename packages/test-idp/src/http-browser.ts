// A minimal browser for tests that do not need Chromium: keeps cookies per host (Max-Age=0 deletes;
// paths and SameSite are ignored: tests run on one machine) and follows redirects one at a time,
// so a test can stop at any hop (e.g. the redirect to a CLI's loopback address).

export interface Hop {
  url: string;
  status: number;
  location?: string;
  body: string;
  headers: Headers;
}

export class HttpBrowser {
  /** host → cookie name → value */
  readonly jar = new Map<string, Map<string, string>>();

  cookies(url: string): Map<string, string> {
    const host = new URL(url).host;
    let m = this.jar.get(host);
    if (!m) this.jar.set(host, (m = new Map()));
    return m;
  }

  private store(url: string, headers: Headers): void {
    const m = this.cookies(url);
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const i = pair!.indexOf('=');
      if (i <= 0) continue;
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      const maxAge = attrs.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      const expires = attrs.map((a) => a.trim()).find((a) => /^expires=/i.test(a));
      const gone = (maxAge !== undefined && Number(maxAge.split('=')[1]) <= 0) || (expires !== undefined && Date.parse(expires.slice(8)) < Date.now()) || value === '';
      if (gone) m.delete(name);
      else m.set(name, value);
    }
  }

  /** One request, no redirect following. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    const jar = this.cookies(url);
    const headers: Record<string, string> = { accept: 'text/html', ...(init.headers ?? {}) };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    this.store(url, res.headers);
    const location = res.headers.get('location');
    return { url, status: res.status, ...(location ? { location: new URL(location, url).toString() } : {}), body: await res.text(), headers: res.headers };
  }

  /** Follows redirects from `url` until a response is not a redirect, or `stop(url)` says so for the next hop. */
  async follow(url: string, stop: (next: string) => boolean = () => false, init: Parameters<HttpBrowser['request']>[1] = {}): Promise<Hop> {
    let hop = await this.request(url, init);
    for (let i = 0; i < 20 && hop.status >= 300 && hop.status < 400 && hop.location; i++) {
      if (stop(hop.location)) return hop;
      hop = await this.request(hop.location);
    }
    return hop;
  }
}

/**
 * Signs in through a test IdP's login page: starts at `startUrl` (e.g. Kontroler's
 * /api/v1/auth/oidc/login), posts the form when the IdP asks, and follows redirects until the
 * response is not a redirect or the next hop satisfies `stop`. Returns that last hop.
 */
export async function signInThroughIdp(
  browser: HttpBrowser,
  startUrl: string,
  user: { username: string; password: string },
  stop: (next: string) => boolean = () => false,
): Promise<Hop> {
  let hop = await browser.follow(startUrl, stop);
  const form = /<form id="login" method="post" action="([^"]+)"/.exec(hop.body);
  if (!form) return hop; // already signed in at the IdP, or an error page
  hop = await browser.follow(new URL(form[1]!, hop.url).toString(), stop, { form: { username: user.username, password: user.password } });
  return hop;
}
