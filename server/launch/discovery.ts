import type { TenantConfig } from '../config';
import { isAppError } from '../errors';
import { fetchJsonObject, isOutboundTimeout } from '../http/outbound';
import { isOnAllowedOrigin } from './iss-allowlist';
import { launchFailed, launchTimedOut } from './launch-errors';
import { createTtlCache } from './ttl-cache';

/**
 * SMART discovery (`<iss>/.well-known/smart-configuration`), read through the app's outbound client: a deadline
 * that really aborts, a size cap, no redirects, and the endpoints pinned to the tenant's auth origins (RFC 9700
 * §4.4 mix-up defence). Answers are cached per tenant for a few minutes; failures never are, so the next launch
 * after an EHR hiccup asks again. See https://hl7.org/fhir/smart-app-launch/STU2.2/conformance.html
 */
export interface SmartConfiguration {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** The authorization server's issuer identifier, when the EHR gives one (RFC 8414 `issuer`). */
  issuer?: string;
  /** RFC 9207: the EHR promises an `iss` in every authorization response. */
  issParameterSupported: boolean;
  /** `code_challenge_methods_supported`, when it is a list of strings. */
  codeChallengeMethods?: string[];
}

export const DISCOVERY_TTL_MS = 5 * 60_000;
export const DISCOVERY_TIMEOUT_MS = 5000;
/** Real discovery documents are a few kilobytes; anything near this is not one. */
export const DISCOVERY_MAX_BYTES = 256 * 1024;

const cache = createTtlCache<SmartConfiguration>(DISCOVERY_TTL_MS);

export const smartConfigurationUrl = (iss: string): string => `${iss.replace(/\/+$/, '')}/.well-known/smart-configuration`;

/** Reads the two endpoints the launch needs; both must be absolute URLs on the tenant's auth origins. */
export function parseSmartConfiguration(body: Record<string, unknown>, tenant: TenantConfig): SmartConfiguration {
  const { authorization_endpoint: authorizationEndpoint, token_endpoint: tokenEndpoint } = body;
  if (typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string') {
    throw launchFailed('The EHR\'s sign-in settings are incomplete (no authorization or token address).', 'discovery_invalid');
  }
  if (![authorizationEndpoint, tokenEndpoint].every((endpoint) => isOnAllowedOrigin(endpoint, tenant.authOrigins))) {
    throw launchFailed('The EHR\'s sign-in settings point somewhere unexpected, so the app stopped.', 'endpoint_not_pinned');
  }
  const issuer = typeof body.issuer === 'string' && body.issuer.length <= 500 ? body.issuer : undefined;
  const methods = body.code_challenge_methods_supported;
  const codeChallengeMethods = Array.isArray(methods) && methods.every((m) => typeof m === 'string') ? methods : undefined;
  return {
    authorizationEndpoint,
    tokenEndpoint,
    ...(issuer === undefined ? {} : { issuer }),
    issParameterSupported: body.authorization_response_iss_parameter_supported === true,
    ...(codeChallengeMethods === undefined ? {} : { codeChallengeMethods }),
  };
}

/**
 * SMART conformance: `code_challenge_methods_supported` is REQUIRED, SHALL include `S256` and SHALL NOT include
 * `plain`. An EHR that does not say so may not check the PKCE verifier at all, or may accept a downgraded one, so
 * the user-facing launch stops before anyone signs in. (Backend services read the same document and use no PKCE,
 * so this is the launch's check, not the parser's.)
 */
export function checkPkceSupport(discovered: SmartConfiguration): void {
  const methods = discovered.codeChallengeMethods ?? [];
  if (!methods.includes('S256') || methods.includes('plain')) {
    throw launchFailed('The EHR\'s sign-in settings do not require the PKCE protection (S256) this app uses, so the app stopped.', 'pkce_unsupported');
  }
}

/**
 * RFC 9207 (authorization server issuer identification, a mix-up defence): an `iss` in the authorization response
 * must be this EHR's issuer — its metadata `issuer`, else its FHIR base — and an EHR that promises the parameter must
 * send it. A response naming another issuer was produced by another server and is refused before the code is used.
 */
export function checkResponseIssuer(responseIss: string | undefined, discovered: SmartConfiguration, tenant: TenantConfig): void {
  if (responseIss === undefined) {
    if (discovered.issParameterSupported) {
      throw launchFailed('The EHR\'s sign-in answer did not say which server sent it, so the app stopped.', 'iss_missing');
    }
    return;
  }
  const expected = (discovered.issuer ?? tenant.iss).replace(/\/+$/, '');
  if (responseIss.replace(/\/+$/, '') !== expected) {
    throw launchFailed('The sign-in answer came from another server than the EHR this launch started at, so the app stopped.', 'iss_mismatch');
  }
}

async function loadSmartConfiguration(tenant: TenantConfig): Promise<SmartConfiguration> {
  let body: Record<string, unknown>;
  try {
    body = await fetchJsonObject(smartConfigurationUrl(tenant.iss), {
      purpose: 'the EHR\'s sign-in settings',
      timeoutMs: DISCOVERY_TIMEOUT_MS,
      maxBytes: DISCOVERY_MAX_BYTES,
    });
  } catch (error) {
    if (isOutboundTimeout(error)) {
      throw launchTimedOut('The EHR did not answer in time when the app asked for its sign-in settings.', 'discovery_timeout', error);
    }
    const said = isAppError(error) ? ` ${error.message}` : '';
    throw launchFailed(`The app could not read the EHR's sign-in settings.${said}`, 'discovery_failed', error);
  }
  return parseSmartConfiguration(body, tenant);
}

/**
 * The tenant's SMART endpoints, from the cache or a fresh discovery.
 * @throws AppError 504 when the EHR is too slow, 502 when it fails or points outside the tenant.
 */
export function smartConfigurationFor(tenant: TenantConfig): Promise<SmartConfiguration> {
  return cache.get(`${tenant.id} ${smartConfigurationUrl(tenant.iss)}`, () => loadSmartConfiguration(tenant));
}
