import type crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtPayload } from 'jsonwebtoken';
import type { SandboxContext } from '../context';
import { nowSeconds } from '../context';
import { oauthError } from '../errors';
import type { SandboxClient } from '../types';

/**
 * Client authentication at the token endpoint, per SMART's asymmetric profile (private_key_jwt):
 * https://hl7.org/fhir/smart-app-launch/STU2.2/client-confidential-asymmetric.html.
 * Every failure is `invalid_client` (401), as the profile requires.
 */

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** "The client SHALL support both RS384 and ES384"; the server accepts exactly those. */
const ALLOWED_ALGS = ['RS384', 'ES384'] as const;
/** `exp` "SHALL be no more than five minutes in the future". */
const MAX_ASSERTION_LIFETIME_S = 300;
const MAX_JTI_LENGTH = 256;

type TokenBody = Record<string, string | undefined>;

function publicClient(ctx: SandboxContext, clientId: string | undefined): SandboxClient {
  const client = clientId === undefined ? undefined : ctx.clients.get(clientId);
  if (client === undefined) {
    throw oauthError('invalid_client', 'Unknown client.');
  }
  if (client.public !== true) {
    throw oauthError('invalid_client', 'This client must authenticate with a signed client assertion.');
  }
  return client;
}

interface DecodedAssertion {
  alg: (typeof ALLOWED_ALGS)[number];
  kid: string;
  jku: unknown;
  clientId: string;
}

function decodeAssertion(assertion: string): DecodedAssertion {
  const decoded = jwt.decode(assertion, { complete: true });
  if (decoded === null || typeof decoded.payload === 'string') {
    throw oauthError('invalid_client', 'The client assertion is not a JWT.');
  }
  const { alg, kid, typ } = decoded.header;
  if (!ALLOWED_ALGS.includes(alg as DecodedAssertion['alg'])) {
    throw oauthError('invalid_client', 'The client assertion must be signed with RS384 or ES384.');
  }
  if (typ !== 'JWT' || typeof kid !== 'string' || kid === '') {
    throw oauthError('invalid_client', 'The client assertion header needs typ "JWT" and a kid.');
  }
  const { iss, sub } = decoded.payload;
  if (typeof iss !== 'string' || iss !== sub) {
    throw oauthError('invalid_client', 'The client assertion iss and sub must both be the client_id.');
  }
  const jku = (decoded.header as { jku?: unknown }).jku;
  return { alg: alg as DecodedAssertion['alg'], kid, jku, clientId: iss };
}

function confidentialClient(ctx: SandboxContext, decoded: DecodedAssertion, bodyClientId?: string): SandboxClient {
  const client = ctx.clients.get(decoded.clientId);
  if (client === undefined || client.public === true) {
    throw oauthError('invalid_client', 'Unknown confidential client.');
  }
  if (bodyClientId !== undefined && bodyClientId !== client.clientId) {
    throw oauthError('invalid_client', 'client_id does not match the client assertion.');
  }
  if (decoded.jku !== undefined && decoded.jku !== client.jwksUrl) {
    throw oauthError('invalid_client', 'The jku header does not match the registered JWKS URL.');
  }
  return client;
}

/** Signature, audience, issuer, subject and the five-minute `exp` ceiling. */
function verifyClaims(ctx: SandboxContext, assertion: string, key: crypto.KeyObject, d: DecodedAssertion): JwtPayload {
  const now = nowSeconds(ctx);
  let payload: JwtPayload;
  try {
    payload = jwt.verify(assertion, key, {
      algorithms: [d.alg],
      audience: ctx.tokenUrl,
      issuer: d.clientId,
      subject: d.clientId,
      clockTimestamp: now,
    }) as JwtPayload;
  } catch (error) {
    throw oauthError('invalid_client', `The client assertion failed verification: ${(error as Error).message}.`);
  }
  if (typeof payload.exp !== 'number' || payload.exp - now > MAX_ASSERTION_LIFETIME_S) {
    throw oauthError('invalid_client', 'The client assertion exp must be at most five minutes ahead.');
  }
  return payload;
}

/** "The authorization server SHALL ensure that the jti value has not been previously encountered" for its lifetime. */
function rememberJti(ctx: SandboxContext, clientId: string, payload: JwtPayload): void {
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
    throw oauthError('invalid_client', 'The client assertion needs a jti.');
  }
  const key = `${clientId}:${jti}`;
  if (ctx.state.seenJtis.get(key) !== undefined) {
    throw oauthError('invalid_client', 'The client assertion jti was already used.');
  }
  const ttlMs = Math.max(1, (payload.exp as number) - nowSeconds(ctx)) * 1000;
  ctx.state.seenJtis.set(key, true, ttlMs);
}

/**
 * Identifies and authenticates the client of a token request. A public client names itself with `client_id`;
 * a confidential one must present a signed assertion verified against its registered keys.
 */
export async function authenticateClient(ctx: SandboxContext, body: TokenBody): Promise<SandboxClient> {
  const assertion = body.client_assertion;
  if (assertion === undefined && body.client_assertion_type === undefined) {
    return publicClient(ctx, body.client_id);
  }
  if (body.client_assertion_type !== JWT_BEARER || assertion === undefined) {
    throw oauthError('invalid_client', `client_assertion_type must be ${JWT_BEARER} with a client_assertion.`);
  }
  const decoded = decodeAssertion(assertion);
  const client = confidentialClient(ctx, decoded, body.client_id);
  const key = await ctx.clientKeys.find(client, decoded.kid);
  if (key === undefined) {
    throw oauthError('invalid_client', 'No registered key matches the client assertion kid.');
  }
  const payload = verifyClaims(ctx, assertion, key, decoded);
  rememberJti(ctx, client.clientId, payload);
  return client;
}
