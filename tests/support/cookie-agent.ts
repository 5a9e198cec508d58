import { parseSetCookie, stringifyCookie } from 'cookie';

/** Cookie values are kept and sent back byte for byte, as a browser does; the agent never decodes or encodes them. */
const RAW = { decode: (value: string): string => value, encode: (value: string): string => value };

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
      const cookie = parseSetCookie(header, RAW);
      if (cookie.name === '') {
        continue; // a Set-Cookie without a name: browsers ignore it
      }
      // Max-Age=0 or a past Expires deletes the cookie, as in a browser.
      const expired = (cookie.maxAge !== undefined && cookie.maxAge <= 0) || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now());
      if (expired || cookie.value === undefined) {
        cookies.delete(cookie.name);
      } else {
        cookies.set(cookie.name, cookie.value);
      }
    }
    this.jar.set(host, cookies);
  }

  private header(url: string): string {
    const cookies = this.jar.get(new URL(url).hostname);
    return cookies === undefined ? '' : stringifyCookie(Object.fromEntries(cookies), RAW);
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
