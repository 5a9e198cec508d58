/**
 * A minimal browser stand-in for integration tests: a cookie jar (cookies are per host, as in browsers, so the app
 * and the sandbox on two localhost ports share it) and redirects followed by hand so each hop can be inspected.
 */
export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
}

export class CookieAgent {
  private readonly jar = new Map<string, Map<string, string>>();
  readonly hops: Hop[] = [];

  cookieValues(): string[] {
    return [...this.jar.values()].flatMap((cookies) => [...cookies.values()]);
  }

  private store(url: string, response: Response): void {
    const host = new URL(url).hostname;
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair !== undefined && eq > 0) {
        cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
    }
    this.jar.set(host, cookies);
  }

  private header(url: string): string {
    const cookies = this.jar.get(new URL(url).hostname);
    return cookies === undefined ? '' : [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie !== '') {
      headers.set('cookie', cookie);
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(url, response);
    this.hops.push({ url, status: response.status, location: response.headers.get('location') ?? undefined });
    return response;
  }

  /** GETs `url` and follows redirects (at most `maxHops`), returning the last response and its URL. */
  async follow(url: string, maxHops = 10): Promise<{ response: Response; url: string }> {
    let current = url;
    for (let hop = 0; hop <= maxHops; hop += 1) {
      const response = await this.request(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { response, url: current };
      }
      current = new URL(location, current).href;
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }
}
