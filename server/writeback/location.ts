/**
 * The id of a created resource from the `Location` header of a create's answer, pure. FHIR R4 says the server
 * "SHALL also return a Location header" of the form `[base]/[type]/[id]/_history/[vid]`
 * (https://hl7.org/fhir/R4/http.html#create); real servers vary: Oracle Health sends it absolute, Epic is reported
 * to send it relative (`DocumentReference/<id>`), some leave out `_history` (research ehr-writeback.md §0, §4).
 * A Location on another server, of another type, or malformed gives undefined: the app never follows it (the token
 * must not leave the tenant's base) and finds the note by searching instead.
 */
import { isUnderBase, referenceOfUrl } from '../chart/fhir-url';

export interface CreatedLocation {
  id: string;
  versionId?: string;
  /** Absolute URL of the resource (without `_history`), under the tenant's base. */
  url: string;
}

const HISTORY = /\/_history\/([A-Za-z0-9\-.]{1,64})\/?$/;

/**
 * @param location - the header value (absolute, path-absolute or relative to the base), or null.
 * @param baseUrl - the tenant's FHIR base without a trailing slash.
 * @param type - the resource type that was created.
 */
export function parseCreatedLocation(location: string | null | undefined, baseUrl: string, type: string): CreatedLocation | undefined {
  const text = location?.trim() ?? '';
  if (text === '' || text.length > 2048) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(text, `${baseUrl}/`);
  } catch {
    return undefined;
  }
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  if (!isUnderBase(url.href, baseUrl)) {
    return undefined;
  }
  const named = referenceOfUrl(url.href, baseUrl);
  if (named === undefined || named.type !== type) {
    return undefined;
  }
  const version = HISTORY.exec(url.pathname)?.[1];
  const resourceUrl = `${baseUrl}/${named.type}/${named.id}`;
  return version === undefined ? { id: named.id, url: resourceUrl } : { id: named.id, versionId: version, url: resourceUrl };
}
