import type { IncomingMessage, ServerResponse } from 'node:http';
import smart from 'fhirclient';
import type { fhirclient } from 'fhirclient/lib/types';
import type { Jwk } from './app-keys';

/**
 * fhirclient runs the OAuth dance; this bridge decides what it sees and where its state goes.
 *
 * - It reads `iss`, `launch`, `clientId`, `patientId` and `fhirServiceUrl` from the request URL, and the host from
 *   `X-Forwarded-*` headers. So it is given a synthetic request built only from values the server has validated.
 * - Its default storage keeps one `SMART_KEY` per session, so a second launch in the same browser wipes the first
 *   (client-js #157/#202). This storage is per call: it ignores `SMART_KEY` and hands the state back to the caller,
 *   which persists it keyed by the `state` value.
 */
export type ClientState = fhirclient.ClientState;
const SMART_KEY = 'SMART_KEY';

class CallScopedStorage implements fhirclient.Storage {
  readonly states = new Map<string, ClientState>();

  constructor(initial?: ClientState) {
    if (initial?.key !== undefined) {
      this.states.set(initial.key, initial);
    }
  }

  get(key: string): Promise<ClientState | undefined> {
    return Promise.resolve(key === SMART_KEY ? undefined : this.states.get(key));
  }

  set(key: string, value: ClientState): Promise<ClientState> {
    if (key !== SMART_KEY) {
      this.states.set(key, value);
    }
    return Promise.resolve(value);
  }

  unset(key: string): Promise<boolean> {
    return Promise.resolve(this.states.delete(key));
  }
}

function syntheticRequest(appBaseUrl: string, pathAndQuery: string): IncomingMessage {
  const base = new URL(appBaseUrl);
  return {
    url: pathAndQuery,
    headers: { host: base.host, 'x-forwarded-proto': base.protocol.replace(':', '') },
    socket: { encrypted: base.protocol === 'https:' },
  } as unknown as IncomingMessage;
}

/** The response fhirclient would redirect with; with `noRedirect` it must never be used. */
const noResponse = {} as ServerResponse;

export interface AuthorizeInput {
  appBaseUrl: string;
  iss: string;
  launch: string | undefined;
  clientId: string;
  scope: string;
  redirectUri: string;
  stateKey: string;
  discoveryTimeoutMs: number;
}

/** Runs discovery and PKCE, returning the EHR authorize URL and the state to keep server-side. */
export async function authorizeWithFhirclient(input: AuthorizeInput): Promise<{ url: string; state: ClientState }> {
  const storage = new CallScopedStorage();
  const query = new URLSearchParams({ iss: input.iss });
  if (input.launch !== undefined) {
    query.set('launch', input.launch);
  }
  const api = smart(syntheticRequest(input.appBaseUrl, `/launch?${query.toString()}`), noResponse, storage);
  // Discovery must neither hang nor follow a redirect to another host.
  const requestOptions = { signal: AbortSignal.timeout(input.discoveryTimeoutMs), redirect: 'error' } as RequestInit;
  const url = (await api.authorize({
    clientId: input.clientId,
    scope: input.scope,
    redirectUri: input.redirectUri,
    stateKey: input.stateKey,
    pkceMode: 'required',
    noRedirect: true,
    wellKnownRequestOptions: requestOptions,
    conformanceRequestOptions: requestOptions,
  })) as unknown as string;
  const state = storage.states.get(input.stateKey);
  if (state === undefined || typeof url !== 'string') {
    throw new Error('fhirclient did not produce an authorization request');
  }
  return { url, state };
}

export interface CodeExchangeInput {
  appBaseUrl: string;
  state: ClientState;
  code: string;
  privateJwk: Jwk;
  jwksUrl: string;
}

/** Exchanges the code (PKCE verifier + private_key_jwt client assertion); returns the state with its tokenResponse. */
export async function exchangeCodeWithFhirclient(input: CodeExchangeInput): Promise<ClientState> {
  const stateKey = input.state.key;
  if (stateKey === undefined) {
    throw new Error('stored launch state has no key');
  }
  const storage = new CallScopedStorage(input.state);
  const query = new URLSearchParams({ code: input.code, state: stateKey });
  const api = smart(syntheticRequest(input.appBaseUrl, `/callback?${query.toString()}`), noResponse, storage);
  // fhirclient adds key_ops to the JWK it is given; hand it a copy.
  await api.ready({ privateKey: { ...input.privateJwk } as never, clientPublicKeySetUrl: input.jwksUrl });
  const updated = storage.states.get(stateKey);
  if (updated?.tokenResponse?.access_token === undefined) {
    throw new Error('no access token after the code exchange');
  }
  return updated;
}
