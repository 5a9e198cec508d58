import type { SandboxContext } from '../context';
import { oauthError } from '../errors';
import { randomToken } from '../state';
import type { Grant, SandboxClient } from '../types';
import { DEFAULT_SIMULATION } from '../types';
import { parseResourceScope, splitScopes } from './scopes';
import type { ResourceScope } from './scopes';

/**
 * SMART Backend Services (https://hl7.org/fhir/smart-app-launch/STU2.2/backend-services.html): the
 * `client_credentials` grant for a registered confidential client, authenticated by the same `private_key_jwt`
 * assertion checks as the other grants (`client-auth.ts`: RS384/ES384 against the client's JWKS URL, iss = sub =
 * client_id, aud = the token URL, exp at most five minutes ahead, jti never seen before). No user, no patient, no
 * refresh token, no id_token: only `system/` scopes, and only within what the client was registered for.
 */

/** Backend access tokens live five minutes: the spec's "SHOULD" ceiling for this grant. */
export const BACKEND_TOKEN_LIFETIME_S = 300;

/** Whether `registered` (a `system/` scope the client was registered for) covers the requested one. */
function covers(registered: ResourceScope, requested: ResourceScope): boolean {
  return (
    (registered.resourceType === '*' || registered.resourceType === requested.resourceType) &&
    [...requested.permissions].every((p) => registered.permissions.has(p))
  );
}

/**
 * The requested `system/` scopes the registration allows. Anything else (patient/user scopes, launch context,
 * scopes beyond the registration) is dropped, as a real EHR does; nothing left is `invalid_scope`.
 */
export function grantSystemScopes(client: SandboxClient, requested: string | undefined): string[] {
  const registered = (client.backendScopes ?? []).map(parseResourceScope).filter((s): s is ResourceScope => s?.context === 'system');
  const granted = splitScopes(requested ?? '')
    .map(parseResourceScope)
    .filter((s): s is ResourceScope => s?.context === 'system' && registered.some((r) => covers(r, s)))
    .map((s) => s.raw);
  if (granted.length === 0) {
    throw oauthError('invalid_scope', 'Ask for system/ scopes this client is registered for (e.g. system/Procedure.rs).');
  }
  return granted;
}

/** `grant_type=client_credentials`: the token response body (no refresh token, no launch context). */
export function clientCredentials(ctx: SandboxContext, client: SandboxClient, scope: string | undefined): Record<string, unknown> {
  if (client.backendScopes === undefined || client.backendScopes.length === 0) {
    throw oauthError('unauthorized_client', 'This client is not registered for SMART Backend Services.');
  }
  const scopes = grantSystemScopes(client, scope);
  const grant: Grant = {
    clientId: client.clientId,
    scopes,
    // No person is behind a backend token: the client itself is the actor.
    context: { patient: '', user: `Device/${client.clientId}`, simulation: { ...DEFAULT_SIMULATION } },
    ehrLaunch: false,
    system: true,
  };
  const accessToken = randomToken();
  ctx.state.accessTokens.set(accessToken, grant, BACKEND_TOKEN_LIFETIME_S * 1000);
  ctx.state.issuedSecrets.push(accessToken);
  return { access_token: accessToken, token_type: 'Bearer', expires_in: BACKEND_TOKEN_LIFETIME_S, scope: scopes.join(' ') };
}
