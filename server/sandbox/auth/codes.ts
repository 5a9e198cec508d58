import type { SandboxContext } from '../context';
import { CODE_TTL_MS, randomToken } from '../state';
import type { AuthorizationRequest } from '../state';
import type { Grant, LaunchContext } from '../types';
import { grantScopes } from './scopes';

/** The grant an approved request earns: its scopes minus the simulation's denied types. */
export function grantFor(request: AuthorizationRequest, context: LaunchContext, ehrLaunch: boolean): Grant {
  return {
    clientId: request.clientId,
    scopes: grantScopes(request.scopes, context.simulation.deniedTypes),
    context,
    ehrLaunch,
  };
}

/**
 * Issues a single-use, 60-second authorization code bound to the client, redirect_uri, PKCE challenge and
 * grant, and returns the redirect back to the app: `redirect_uri?code=…&state=…`.
 */
export function redirectWithCode(ctx: SandboxContext, request: AuthorizationRequest, grant: Grant): string {
  const code = randomToken();
  ctx.state.codes.set(code, { request, grant }, CODE_TTL_MS);
  const url = new URL(request.redirectUri);
  url.searchParams.set('code', code);
  url.searchParams.set('state', request.state);
  return url.toString();
}
