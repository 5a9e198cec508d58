import type { TenantConfig } from '../config';
import type { AppError } from '../errors';
import { fetchOutbound, isOutboundTimeout } from '../http/outbound';
import type { AppSigningKey } from './app-keys';
import { signClientAssertion } from './app-keys';
import type { ClientState } from './fhirclient-bridge';
import { isOnAllowedOrigin } from './iss-allowlist';
import { launchFailed, launchTimedOut, oauthErrorCodeOf, relaunchNeeded, tokenSetupError } from './launch-errors';

/**
 * The authorization-code exchange (SMART App Launch §2.0.7) through the app's outbound client: a deadline that
 * aborts the request, a size cap, and no redirects — a 307 from the token endpoint must not re-send the code, the
 * PKCE verifier and a client assertion to wherever it points. The client authenticates with private_key_jwt, the
 * same assertion the refresh uses (access-token.ts).
 */
export interface CodeExchangeInput {
  state: ClientState;
  code: string;
  tenant: TenantConfig;
  signingKey: AppSigningKey;
  /** The app's JWKS URL, named in the assertion's `jku` header. */
  jwksUrl: string;
}

export const CODE_EXCHANGE_TIMEOUT_MS = 15_000;
const TOKEN_RESPONSE_MAX_BYTES = 256 * 1024;

/** The form body of the token request; the verifier and the assertion are secrets, so this never reaches a log. */
export function codeExchangeBody(input: CodeExchangeInput, tokenUri: string, redirectUri: string, codeVerifier: string): URLSearchParams {
  const clientId = input.state.clientId ?? input.tenant.clientId;
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: redirectUri,
    code_verifier: codeVerifier,
    client_id: clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: signClientAssertion(input.signingKey, clientId, tokenUri, input.jwksUrl),
  });
}

function exchangeFailed(cause: unknown): AppError {
  return isOutboundTimeout(cause)
    ? launchTimedOut('The EHR\'s token service did not answer in time, so this launch could not finish.', 'token_exchange_timeout', cause)
    : launchFailed('The EHR did not hand over access for this launch (its token service failed).', 'token_exchange_failed', cause);
}

/**
 * Exchanges the code; returns the state with its `tokenResponse`.
 * @throws AppError 401 when the stored state cannot make the request, 502/504 when the token service fails.
 */
export async function exchangeAuthorizationCode(input: CodeExchangeInput): Promise<ClientState> {
  const { tokenUri, redirectUri, codeVerifier } = input.state;
  if (tokenUri === undefined || redirectUri === undefined || codeVerifier === undefined) {
    throw relaunchNeeded('This launch was set up incompletely; it has to start again.', 'state_incomplete');
  }
  // Pinned when the launch began; checked again here because this request carries the code and the verifier.
  if (!isOnAllowedOrigin(tokenUri, input.tenant.authOrigins)) {
    throw launchFailed('The EHR\'s sign-in settings point somewhere unexpected, so the app stopped.', 'endpoint_not_pinned');
  }
  let status: number;
  let text: string;
  try {
    ({ status, text } = await fetchOutbound(tokenUri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: codeExchangeBody(input, tokenUri, redirectUri, codeVerifier).toString(),
      timeoutMs: CODE_EXCHANGE_TIMEOUT_MS,
      maxBytes: TOKEN_RESPONSE_MAX_BYTES,
      purpose: 'exchanging the authorization code',
    }));
  } catch (error) {
    throw exchangeFailed(error);
  }
  if (status !== 200) {
    const ehrError = oauthErrorCodeOf(text);
    if (ehrError === 'invalid_grant') {
      throw relaunchNeeded('The EHR did not accept this launch\'s sign-in code (it may have expired or been used already).', 'code_refused');
    }
    throw tokenSetupError(status, ehrError) ?? exchangeFailed(new Error(`token endpoint answered ${status}`));
  }
  let tokenResponse: unknown;
  try {
    tokenResponse = JSON.parse(text);
  } catch {
    throw exchangeFailed(new Error('token response is not JSON'));
  }
  if (tokenResponse === null || typeof tokenResponse !== 'object' || Array.isArray(tokenResponse)) {
    throw exchangeFailed(new Error('token response is not a JSON object'));
  }
  return { ...input.state, tokenResponse };
}
