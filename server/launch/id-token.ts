import type { JSONWebKeySet, JWK, JWTPayload } from 'jose';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { TenantConfig } from '../config';
import { cleanText, NAME_MAX } from '../clean-text';
import { AppError } from '../errors';
import { fetchJsonObject } from '../http/outbound';
import { isOnAllowedOrigin, normalizeIss } from './iss-allowlist';
import { createTtlCache } from './ttl-cache';

/**
 * OpenID Connect id_token verification (OIDC Core §3.1.3.7 as SMART applies it). `fhirUser` becomes the author of
 * chart notes, so it is trusted only after the signature (issuer's JWKS), issuer, audience and expiry check out. See
 * https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html#steps-for-using-an-id-token
 *
 * The OpenID configuration and the JWKS are fetched through the app's outbound client (deadline, size cap, no
 * redirects) and cached; jose verifies against the keys held locally, so it never fetches anything itself. An
 * unknown `kid` (the EHR may have rotated its keys) earns one forced JWKS refetch, and at most one per JWKS URI
 * every KEY_REFETCH_INTERVAL_MS across all launches, so a stream of bad tokens cannot make the app hammer the EHR.
 */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  fhirUser: string | undefined;
  name: string | undefined;
}

const ALLOWED_ALGS = ['RS256', 'RS384', 'ES256', 'ES384'];
export const OPENID_CONFIG_TTL_MS = 60 * 60_000;
export const JWKS_TTL_MS = 10 * 60_000;
export const KEY_REFETCH_INTERVAL_MS = 30_000;
const FETCH_TIMEOUT_MS = 5000;
const CLOCK_TOLERANCE_S = 60;
/**
 * The longest an id_token may be valid (exp − iat). It is read once, at the callback, right after it is issued:
 * EHRs give minutes (Epic 5, Oracle 10). A token valid for years is a token made to be replayed.
 */
export const ID_TOKEN_MAX_LIFETIME_S = 60 * 60;
/** `fhirUser` names a user record (SMART: Practitioner, Patient, RelatedPerson or Person); the app's users are staff. */
const USER_RECORD = /^(Practitioner|PractitionerRole|Person)\/[A-Za-z0-9\-.]{1,64}$/;
const METADATA_MAX_BYTES = 256 * 1024;

const jwksUris = createTtlCache<string>(OPENID_CONFIG_TTL_MS);
const keySets = createTtlCache<JSONWebKeySet>(JWKS_TTL_MS);
/** When each JWKS URI was last refetched because of an unknown kid. */
const lastForcedRefetch = new Map<string, number>();

const invalid = (why: string): AppError =>
  new AppError('unauthorized', 'The EHR\'s identity token could not be verified, so the sign-in was stopped.', {
    hint: 'Launch the app again from the chart. If it keeps happening, tell your EHR analyst.',
    details: { reason: 'id_token_invalid', why },
  });

/** The fetched document's `keys`, keeping only entries that are objects (jose rejects anything else whole). */
export function keySetOf(body: Record<string, unknown>): JSONWebKeySet {
  const keys = Array.isArray(body.keys) ? body.keys : [];
  return { keys: keys.filter((k): k is JWK => k !== null && typeof k === 'object' && !Array.isArray(k)) };
}

async function loadKeySet(jwksUri: string): Promise<JSONWebKeySet> {
  return keySetOf(await fetchJsonObject(jwksUri, { purpose: 'the EHR\'s signing keys', timeoutMs: FETCH_TIMEOUT_MS, maxBytes: METADATA_MAX_BYTES }));
}

async function loadJwksUri(issuer: string, tenant: TenantConfig): Promise<string> {
  const config = await fetchJsonObject(`${issuer}/.well-known/openid-configuration`, {
    purpose: 'the EHR\'s sign-in configuration',
    timeoutMs: FETCH_TIMEOUT_MS,
    maxBytes: METADATA_MAX_BYTES,
  });
  const jwksUri = config.jwks_uri;
  if (typeof jwksUri !== 'string' || !isOnAllowedOrigin(jwksUri, tenant.authOrigins)) {
    throw invalid('jwks_uri missing or outside the tenant');
  }
  if (config.issuer !== undefined && config.issuer !== issuer) {
    throw invalid('issuer metadata mismatch');
  }
  return jwksUri;
}

/** A forced refetch is allowed once per interval per JWKS URI; asking claims the slot. */
function mayForceRefetch(jwksUri: string, now = Date.now()): boolean {
  const last = lastForcedRefetch.get(jwksUri);
  if (last !== undefined && now - last < KEY_REFETCH_INTERVAL_MS) {
    return false;
  }
  lastForcedRefetch.set(jwksUri, now);
  return true;
}

const isUnknownKey = (error: unknown): boolean => error instanceof joseErrors.JWKSNoMatchingKey;

async function verifySignature(idToken: string, issuer: string, clientId: string, jwksUri: string): Promise<JWTPayload> {
  const verify = async (keys: JSONWebKeySet): Promise<JWTPayload> =>
    (
      await jwtVerify(idToken, createLocalJWKSet(keys), {
        algorithms: ALLOWED_ALGS,
        audience: clientId,
        issuer,
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'iat', 'sub'],
      })
    ).payload;
  try {
    try {
      return await verify(await keySets.get(jwksUri, () => loadKeySet(jwksUri)));
    } catch (error) {
      if (!isUnknownKey(error) || !mayForceRefetch(jwksUri)) {
        throw error;
      }
      return await verify(await keySets.reload(jwksUri, () => loadKeySet(jwksUri)));
    }
  } catch (error) {
    if (error instanceof AppError) {
      throw error;
    }
    throw invalid(whyRefused(error));
  }
}

/** A short, secret-free reason for the log and the API details (jose's error code, e.g. ERR_JWT_EXPIRED). */
function whyRefused(error: unknown): string {
  if (isUnknownKey(error)) {
    return 'unknown signing key';
  }
  return error instanceof joseErrors.JOSEError ? error.code : 'verification failed';
}

/** The issuer and algorithm, read before anything is fetched: nothing is contacted for a token off the tenant. */
function unverifiedIssuer(idToken: string, tenant: TenantConfig): string {
  let alg: unknown;
  let issuer: unknown;
  try {
    alg = decodeProtectedHeader(idToken).alg;
    issuer = decodeJwt(idToken).iss;
  } catch {
    throw invalid('not a JWT');
  }
  if (typeof alg !== 'string' || !ALLOWED_ALGS.includes(alg)) {
    throw invalid('algorithm not allowed');
  }
  if (typeof issuer !== 'string' || normalizeIss(issuer) === undefined || !isOnAllowedOrigin(issuer, tenant.authOrigins)) {
    throw invalid('issuer not allowed for this EHR');
  }
  return issuer;
}

/**
 * Verifies an id_token for this tenant and client.
 * @param idToken - the compact JWT from the token response.
 * @param tenant - the EHR the launch came from; the issuer must live on its auth origins.
 * @param clientId - must be in `aud`.
 */
export async function verifyIdToken(idToken: string, tenant: TenantConfig, clientId: string): Promise<VerifiedIdentity> {
  const issuer = unverifiedIssuer(idToken, tenant);
  const jwksUri = await jwksUris.get(`${tenant.id} ${issuer}`, () => loadJwksUri(issuer, tenant));
  const payload = await verifySignature(idToken, issuer, clientId, jwksUri);
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) {
    throw invalid('sub missing');
  }
  checkTimes(payload);
  const fhirUser = typeof payload.fhirUser === 'string' ? payload.fhirUser : undefined;
  const profile = typeof payload.profile === 'string' ? payload.profile : undefined;
  return {
    issuer,
    subject: payload.sub,
    fhirUser: userOnTenant(fhirUser ?? profile, tenant),
    name: cleanText(payload.name, NAME_MAX),
  };
}

/** jose checks `exp` against now; a fresh token is also not issued in the future nor valid for longer than an hour. */
function checkTimes(payload: JWTPayload, nowS = Math.floor(Date.now() / 1000)): void {
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number') {
    throw invalid('iat or exp missing');
  }
  if (iat > nowS + CLOCK_TOLERANCE_S) {
    throw invalid('issued in the future');
  }
  if (exp - iat > ID_TOKEN_MAX_LIFETIME_S) {
    throw invalid('lifetime too long');
  }
}

/**
 * The user's record must live on this EHR's FHIR server (the tenant's `iss`): relative, or absolute under that base.
 * A fhirUser elsewhere would make a stranger's URL the author of chart notes and the subject of role checks.
 */
function userOnTenant(fhirUser: string | undefined, tenant: TenantConfig): string | undefined {
  if (fhirUser === undefined) {
    return undefined;
  }
  const base = `${tenant.iss.replace(/\/+$/, '')}/`;
  const relative = fhirUser.startsWith(base) ? fhirUser.slice(base.length) : fhirUser;
  if (!USER_RECORD.test(relative)) {
    throw invalid('fhirUser is not a user record on this EHR');
  }
  return fhirUser;
}
