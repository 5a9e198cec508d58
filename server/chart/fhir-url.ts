/**
 * URL rules for talking to one EHR's FHIR base. The access token is a bearer credential for that base only, so
 * every URL the app is about to fetch is checked here first: `next` links, absolute references and `fhirUser`
 * values come from the EHR's data and may point anywhere (SMART App Launch: "do not blindly follow" links;
 * security research §6 D4, F7, F8).
 */

/** FHIR resource type names are PascalCase letters only (https://hl7.org/fhir/R4/resourcelist.html). */
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;

/**
 * FHIR logical ids are `[A-Za-z0-9\-\.]{1,64}` (https://hl7.org/fhir/R4/datatypes.html#id). Some EHRs hand out
 * longer ids, so the length is relaxed; the character set is what keeps them safe inside a URL path.
 */
const LOGICAL_ID = /^[A-Za-z0-9\-.]{1,128}$/;

/** `Type/id` or `Type/id/_history/vid`. */
const RELATIVE_REFERENCE = /^([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,128})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function isResourceType(value: string): boolean {
  return RESOURCE_TYPE.test(value);
}

export function isLogicalId(value: string): boolean {
  return LOGICAL_ID.test(value);
}

/** Splits a relative `Type/id[/_history/v]` reference; undefined for anything else. */
export function parseRelativeReference(reference: string): { type: string; id: string } | undefined {
  const match = RELATIVE_REFERENCE.exec(reference);
  return match ? { type: match[1], id: match[2] } : undefined;
}

/** True when the string parses as an absolute URL (has a scheme), e.g. a reference to another server. */
export function isAbsoluteUrl(value: string): boolean {
  return URL.canParse(value);
}

/** The base URL without trailing slashes; throws on anything that is not an absolute http(s) URL. */
export function normaliseBaseUrl(baseUrl: string): string {
  const parsed = new URL(baseUrl);
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.username || parsed.password) {
    throw new TypeError('FHIR base URL must be http(s) without credentials');
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/**
 * Whether `url` lies under the FHIR base: same origin, and a path equal to the base path or below it. WHATWG URL
 * parsing resolves `..` and `%2e%2e` segments first, so a traversal out of the base fails the prefix test.
 * Query and fragment do not matter (HAPI-style paging links are `<base>?_getpages=…`).
 */
export function isUnderBase(url: string, baseUrl: string): boolean {
  if (!URL.canParse(url)) {
    return false;
  }
  const target = new URL(url);
  const base = new URL(baseUrl);
  if (target.origin !== base.origin || target.username || target.password) {
    return false;
  }
  const basePath = base.pathname.replace(/\/+$/, '');
  return target.pathname === basePath || target.pathname === `${basePath}/` || target.pathname.startsWith(`${basePath}/`);
}

/**
 * The `Type/id` a URL under the base names (`<base>/Patient/1` → Patient, 1), or undefined when the path below
 * the base is not `Type/id[/_history/v]`.
 */
export function referenceOfUrl(url: string, baseUrl: string): { type: string; id: string } | undefined {
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const below = new URL(url).pathname.slice(basePath.length).replace(/^\/+/, '');
  return parseRelativeReference(below);
}

/** `<base>/<type>?<params>` with every parameter value percent-encoded. */
export function buildSearchUrl(baseUrl: string, type: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return query ? `${baseUrl}/${type}?${query}` : `${baseUrl}/${type}`;
}
