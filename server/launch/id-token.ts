import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { TenantConfig } from '../config';
import { AppError } from '../errors';
import { fetchJsonObject } from '../http/outbound';
import type { Jwk } from './app-keys';
import { isOnAllowedOrigin, normalizeIss } from './iss-allowlist';

/**
 * OpenID Connect id_token verification (OIDC Core §3.1.3.7 as SMART applies it). fhirclient only base64-decodes the
 * token; `fhirUser` becomes the author of chart notes, so it is trusted only after the signature (issuer's JWKS),
 * issuer, audience and expiry check out. See
 * https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html#steps-for-using-an-id-token
 */
export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  fhirUser: string | undefined;
  name: string | undefined;
}

const ALLOWED_ALGS: jwt.Algorithm[] = ['RS256', 'RS384', 'ES256', 'ES384'];
const JWKS_TTL_MS = 5 * 60_000;
const jwksCache = new Map<string, { keys: Jwk[]; fetchedAt: number }>();

const invalid = (why: string): AppError =>
  new AppError('unauthorized', 'The EHR\'s identity token could not be verified, so the sign-in was stopped.', {
    hint: 'Launch the app again from the chart. If it keeps happening, tell your EHR analyst.',
    details: { reason: 'id_token_invalid', why },
  });

async function fetchJwks(jwksUri: string, force: boolean): Promise<Jwk[]> {
  const cached = jwksCache.get(jwksUri);
  if (!force && cached !== undefined && Date.now() - cached.fetchedAt < JWKS_TTL_MS) {
    return cached.keys;
  }
  const body = await fetchJsonObject(jwksUri, { purpose: 'the EHR\'s signing keys', timeoutMs: 5000 });
  const keys = Array.isArray(body.keys) ? (body.keys as Jwk[]) : [];
  jwksCache.set(jwksUri, { keys, fetchedAt: Date.now() });
  return keys;
}

async function findKey(jwksUri: string, kid: string | undefined): Promise<crypto.KeyObject> {
  const pick = (keys: Jwk[]): Jwk | undefined =>
    kid === undefined && keys.length === 1 ? keys[0] : keys.find((k) => (k as { kid?: string }).kid === kid);
  // An unknown kid may mean the EHR rotated its keys: fetch once more, then give up (no fetch storm).
  const jwk = pick(await fetchJwks(jwksUri, false)) ?? pick(await fetchJwks(jwksUri, true));
  if (jwk === undefined) {
    throw invalid('unknown signing key');
  }
  return crypto.createPublicKey({ key: jwk, format: 'jwk' });
}

async function jwksUriFor(issuer: string, tenant: TenantConfig): Promise<string> {
  const config = await fetchJsonObject(`${issuer}/.well-known/openid-configuration`, {
    purpose: 'the EHR\'s sign-in configuration',
    timeoutMs: 5000,
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

/**
 * Verifies an id_token for this tenant and client.
 * @param idToken - the compact JWT from the token response.
 * @param tenant - the EHR the launch came from; the issuer must live on its auth origins.
 * @param clientId - must be in `aud`.
 */
export async function verifyIdToken(idToken: string, tenant: TenantConfig, clientId: string): Promise<VerifiedIdentity> {
  const decoded = jwt.decode(idToken, { complete: true });
  if (decoded === null || typeof decoded.payload === 'string') {
    throw invalid('not a JWT');
  }
  if (!ALLOWED_ALGS.includes(decoded.header.alg as jwt.Algorithm)) {
    throw invalid('algorithm not allowed');
  }
  const issuer = decoded.payload.iss;
  if (typeof issuer !== 'string' || normalizeIss(issuer) === undefined || !isOnAllowedOrigin(issuer, tenant.authOrigins)) {
    throw invalid('issuer not allowed for this EHR');
  }
  const key = await findKey(await jwksUriFor(issuer, tenant), decoded.header.kid);
  let payload: jwt.JwtPayload;
  try {
    payload = jwt.verify(idToken, key, {
      algorithms: ALLOWED_ALGS,
      audience: clientId,
      issuer,
      clockTolerance: 60,
    }) as jwt.JwtPayload;
  } catch (error) {
    throw invalid(error instanceof Error ? error.name : 'verification failed');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255) {
    throw invalid('sub missing');
  }
  const claims = payload as jwt.JwtPayload & { fhirUser?: unknown; profile?: unknown; name?: unknown };
  const fhirUser = typeof claims.fhirUser === 'string' ? claims.fhirUser : undefined;
  const profile = typeof claims.profile === 'string' ? claims.profile : undefined;
  return {
    issuer,
    subject: payload.sub,
    fhirUser: fhirUser ?? profile,
    name: typeof claims.name === 'string' ? claims.name.slice(0, 200) : undefined,
  };
}
