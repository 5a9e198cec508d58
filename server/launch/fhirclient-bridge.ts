import { generatePKCEChallenge } from 'fhirclient/lib/security/server';
import type { fhirclient } from 'fhirclient/lib/types';
import type { SmartConfiguration } from './discovery';

/**
 * What the launch keeps of fhirclient: its PKCE pair and its `ClientState` record (the pending state saved
 * server-side, keyed by `state`). Nothing here touches the network. fhirclient's `authorize()` always runs its own
 * discovery, whose module-level cache keeps rejected requests (one failed discovery would disable an EHR until a
 * restart), and its `ready()` exchanges the code with a fetch that follows redirects (a 307 would re-send the code,
 * PKCE verifier and client assertion elsewhere). So discovery and the exchange run through the app's outbound
 * client (discovery.ts, code-exchange.ts) and the authorize URL is built here, with the parameters fhirclient sends.
 */
export type ClientState = fhirclient.ClientState;

export interface AuthorizeInput {
  /** The tenant's FHIR base (`iss`); also the `aud` of the authorization request. */
  iss: string;
  launch: string | undefined;
  clientId: string;
  scope: string;
  redirectUri: string;
  stateKey: string;
  endpoints: SmartConfiguration;
}

/** The authorization request URL (SMART App Launch §2.0.5; PKCE S256 always, RFC 7636). */
export function authorizeUrl(input: AuthorizeInput, codeChallenge: string): string {
  const url = new URL(input.endpoints.authorizationEndpoint);
  const params: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', input.clientId],
    ['scope', input.scope],
    ['redirect_uri', input.redirectUri],
    ['aud', input.iss],
    ['state', input.stateKey],
    ...(input.launch === undefined ? [] : ([['launch', input.launch]] as [string, string][])),
    ['code_challenge', codeChallenge],
    ['code_challenge_method', 'S256'],
  ];
  for (const [name, value] of params) {
    url.searchParams.set(name, value);
  }
  return url.href;
}

/** Builds the authorize URL and the state the callback needs (PKCE verifier, token URI, redirect URI, scope, iss). */
export async function prepareAuthorization(input: AuthorizeInput): Promise<{ url: string; state: ClientState }> {
  const { codeChallenge, codeVerifier } = await generatePKCEChallenge();
  const state: ClientState = {
    key: input.stateKey,
    serverUrl: input.iss,
    clientId: input.clientId,
    redirectUri: input.redirectUri,
    scope: input.scope,
    authorizeUri: input.endpoints.authorizationEndpoint,
    tokenUri: input.endpoints.tokenEndpoint,
    codeChallenge,
    codeVerifier,
  };
  return { url: authorizeUrl(input, codeChallenge), state };
}
