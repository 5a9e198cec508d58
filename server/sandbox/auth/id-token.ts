import type crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { SandboxContext } from '../context';
import { nowSeconds } from '../context';
import { createImpostorKey } from '../keys';
import type { Grant } from '../types';

/** The audience the `id_token_wrong_audience` fault uses: another client's id, so a check on `aud` must catch it. */
function wrongAudience(ctx: SandboxContext, clientId: string): string {
  const other = [...ctx.clients.keys()].find((id) => id !== clientId);
  return other ?? `${clientId}-other-app`;
}

let impostorKey: crypto.KeyObject | undefined;

/** Signs with a key nobody published, under the real `kid`: what a forged or corrupted token looks like. */
function signingKeyFor(ctx: SandboxContext, grant: Grant): crypto.KeyObject {
  if (grant.context.simulation.fault !== 'id_token_bad_signature') {
    return ctx.signingKey.privateKey;
  }
  impostorKey ??= createImpostorKey();
  return impostorKey;
}

/**
 * The OpenID Connect id_token for `openid` grants: RS256, `kid` header, iss = the grant's FHIR base (the issuer in
 * that base's discovery), aud = client_id, and `fhirUser` as an absolute Practitioner URL when `fhirUser` was granted.
 * See https://hl7.org/fhir/smart-app-launch/STU2.2/scopes-and-launch-context.html#scopes-for-requesting-identity-data.
 */
export function signIdToken(ctx: SandboxContext, grant: Grant, lifetimeSeconds: number, nonce?: string): string {
  const now = nowSeconds(ctx);
  const user = grant.context.user;
  const fault = grant.context.simulation.fault;
  const issuer = ctx.fhirBaseUrls[grant.context.simulation.vendor];
  const claims: Record<string, unknown> = {
    iss: issuer,
    sub: user,
    aud: fault === 'id_token_wrong_audience' ? wrongAudience(ctx, grant.clientId) : grant.clientId,
    iat: now,
    exp: now + lifetimeSeconds,
  };
  // Epic often sends no `name` claim (nor does the public SMART App Launcher): the app must take the name from the
  // Practitioner record instead, so the Epic imitation leaves it out.
  if (grant.context.simulation.vendor !== 'epic') {
    claims.name = ctx.data.practitioners.find((p) => p.id === user)?.name ?? user;
  }
  if (grant.scopes.includes('fhirUser')) {
    claims.fhirUser = `${issuer}/Practitioner/${user}`;
  }
  if (nonce !== undefined) {
    claims.nonce = nonce;
  }
  return jwt.sign(claims, signingKeyFor(ctx, grant), { algorithm: 'RS256', keyid: ctx.signingKey.kid });
}
