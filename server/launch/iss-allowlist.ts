import type { TenantConfig } from '../config';
import { badRequest } from '../errors';

/**
 * The `iss` allow-list. An EHR launch names the FHIR server the app should talk to; an attacker can name their own
 * (HL7/smart-app-launch#230) or an internal address (SSRF). So `iss` must equal a configured tenant's base after
 * normalisation, and nothing is fetched for any other value.
 */

/** Lower-cases scheme and host, drops a default port and one trailing slash; refuses what no EHR base carries. */
export function normalizeIss(raw: string): string | undefined {
  // Encoded dots and slashes are refused before parsing: the URL parser would resolve them and make a look-alike
  // equal to a configured base.
  if (/%2e|%2f|%5c|\\/i.test(raw) || /\/\.\.?(\/|$)/.test(raw)) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return undefined;
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    return undefined;
  }
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`.replace(/^(\w+:\/\/[^/]+)/, (m) => m.toLowerCase());
}

/**
 * Finds the tenant whose FHIR base is exactly this `iss`.
 * @throws AppError 400 when the value is malformed or not on the allow-list.
 */
export function tenantForIss(tenants: readonly TenantConfig[], iss: string): TenantConfig {
  const normalized = normalizeIss(iss);
  const tenant =
    normalized === undefined ? undefined : tenants.find((t) => normalizeIss(t.iss) === normalized);
  if (tenant === undefined) {
    throw badRequest('This EHR is not one the app is set up to work with.', {
      hint: 'The launch named an EHR server (iss) that is not on this site\'s allow-list, so nothing was contacted. Ask your EHR analyst to check the app registration.',
      details: { reason: 'iss_not_allowed' },
    });
  }
  return tenant;
}

/** True when `url` lies on one of the allowed origins (used to pin discovered endpoints to the tenant). */
export function isOnAllowedOrigin(url: string, origins: readonly string[]): boolean {
  try {
    const origin = new URL(url).origin;
    return origins.some((o) => new URL(o).origin === origin);
  } catch {
    return false;
  }
}
