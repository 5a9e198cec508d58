import { parse } from 'cookie';

/**
 * Reads one cookie from a `Cookie` header with the `cookie` package, which never throws on a malformed header (a
 * pair without `=` is skipped, a bad %-escape is left as it is), so a broken header means "no cookie", not a 500.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  return header === undefined ? undefined : parse(header)[name];
}

/**
 * Whether a state-changing POST came from a page of this origin. Browsers send `Sec-Fetch-Site`; a request
 * without it (scripts, tests) is judged by its other credentials.
 */
export function isCrossSitePost(secFetchSite: string | undefined): boolean {
  return secFetchSite !== undefined && secFetchSite !== 'same-origin' && secFetchSite !== 'none';
}
