/** Reads one cookie from a `Cookie` header (no dependency needed for the one cookie the sandbox sets). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index > 0 && part.slice(0, index).trim() === name) {
      return part.slice(index + 1).trim();
    }
  }
  return undefined;
}

/**
 * Whether a state-changing POST came from a page of this origin. Browsers send `Sec-Fetch-Site`; a request
 * without it (scripts, tests) is judged by its other credentials.
 */
export function isCrossSitePost(secFetchSite: string | undefined): boolean {
  return secFetchSite !== undefined && secFetchSite !== 'same-origin' && secFetchSite !== 'none';
}
