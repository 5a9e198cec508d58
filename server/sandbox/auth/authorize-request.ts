import { badRequest } from '../../errors';
import { vendorOfBase } from '../context';
import type { SandboxContext } from '../context';
import type { AuthorizationRequest } from '../state';
import type { SandboxClient, SandboxVendor } from '../types';
import { isValidS256Challenge } from './pkce';
import { splitScopes } from './scopes';

/**
 * Validation of `GET /auth/authorize` in the order a strict EHR applies it
 * (https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html#obtain-authorization-code):
 * an unknown client, an unregistered redirect_uri or a wrong `aud` get an error page, never a redirect
 * (RFC 6749 §4.1.2.1: redirecting to an unverified URI would make the EHR an open redirector);
 * every other problem is redirected back to the app as `error=…`.
 */

export type ParsedAuthorize =
  | { ok: true; request: AuthorizationRequest; launch?: string }
  | { ok: false; redirect: string };

const MAX_PARAM_LENGTH = 4096;

/** The one value of a parameter; undefined if absent; `null` if repeated or oversized (always an error). */
function single(params: URLSearchParams, name: string): string | undefined | null {
  const values = params.getAll(name);
  if (values.length === 0) {
    return undefined;
  }
  const value = values[0];
  return values.length > 1 || value.length > MAX_PARAM_LENGTH ? null : value;
}

/** `redirect_uri?error=…&error_description=…&state=…`. */
export function errorRedirect(redirectUri: string, error: string, description: string, state?: string): string {
  const url = new URL(redirectUri);
  url.searchParams.set('error', error);
  url.searchParams.set('error_description', description);
  if (state !== undefined) {
    url.searchParams.set('state', state);
  }
  return url.toString();
}

interface VerifiedClient {
  client: SandboxClient;
  redirectUri: string;
  /** The imitated EHR whose FHIR base `aud` names: the grant is for that base alone. */
  vendor: SandboxVendor;
}

function verifiedClient(ctx: SandboxContext, params: URLSearchParams): VerifiedClient {
  const clientId = single(params, 'client_id');
  const client = typeof clientId === 'string' ? ctx.clients.get(clientId) : undefined;
  if (client === undefined) {
    throw badRequest('Unknown client_id: this app is not registered with the sandbox EHR.');
  }
  const redirectUri = single(params, 'redirect_uri');
  if (typeof redirectUri !== 'string' || !client.redirectUris.includes(redirectUri)) {
    throw badRequest('redirect_uri is missing or is not one registered for this app.');
  }
  const vendor = vendorOfBase(ctx, single(params, 'aud'));
  if (vendor === undefined) {
    throw badRequest('aud must be one of the FHIR servers this EHR serves.');
  }
  return { client, redirectUri, vendor };
}

/** The first problem with the remaining parameters, as an OAuth error code and description. */
function firstProblem(params: URLSearchParams): [string, string] | undefined {
  for (const name of ['response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'launch', 'nonce']) {
    if (single(params, name) === null) {
      return ['invalid_request', `Parameter ${name} must appear once.`];
    }
  }
  if (single(params, 'response_type') !== 'code') {
    return ['unsupported_response_type', 'response_type must be code.'];
  }
  if (!single(params, 'state')) {
    return ['invalid_request', 'state is required.'];
  }
  if (single(params, 'code_challenge_method') !== 'S256' || !isValidS256Challenge(single(params, 'code_challenge'))) {
    return ['invalid_request', 'PKCE is required: code_challenge_method=S256 and a code_challenge.'];
  }
  const scopes = splitScopes(single(params, 'scope') ?? '');
  if (scopes.length === 0) {
    return ['invalid_scope', 'scope is required.'];
  }
  if (single(params, 'launch') !== undefined && !scopes.includes('launch')) {
    return ['invalid_scope', 'An EHR launch must request the launch scope.'];
  }
  return undefined;
}

/** Validates an authorization request; throws (error page) or returns a redirect-with-error or the request. */
export function parseAuthorizeRequest(ctx: SandboxContext, params: URLSearchParams): ParsedAuthorize {
  const { client, redirectUri, vendor } = verifiedClient(ctx, params);
  const state = single(params, 'state') ?? undefined;
  const problem = firstProblem(params);
  if (problem !== undefined) {
    return { ok: false, redirect: errorRedirect(redirectUri, problem[0], problem[1], state ?? undefined) };
  }
  const nonce = single(params, 'nonce') ?? undefined;
  const launch = single(params, 'launch') ?? undefined;
  const request: AuthorizationRequest = {
    clientId: client.clientId,
    redirectUri,
    vendor,
    state: state as string,
    scopes: splitScopes(single(params, 'scope') as string),
    codeChallenge: single(params, 'code_challenge') as string,
    ...(nonce === undefined ? {} : { nonce }),
    ...(launch === undefined ? {} : { launchId: launch }),
  };
  return { ok: true, request, ...(launch === undefined ? {} : { launch }) };
}
