import type { Logger } from '../log';
import { fetchOutbound } from '../http/outbound';
import type { LaunchSession, LaunchSessionStore, LaunchTokens } from '../store/launch-sessions';
import type { AppSigningKey } from './app-keys';
import { signClientAssertion } from './app-keys';

/**
 * Keeps a launch's access token fresh, server-side. fhirclient refreshes without a client assertion, which an
 * asymmetric client needs, so refresh is done here: private_key_jwt, the rotated refresh token stored at once,
 * one refresh in flight per launch (SMART best practices: never use a refresh token twice), and at most one
 * attempt a minute (Oracle Health throttles faster refreshes).
 */
export interface AccessTokenDeps {
  store: LaunchSessionStore;
  signingKey: AppSigningKey;
  clientId: string;
  jwksUrl: string;
  logger: Logger;
  /** The tenant's FHIR `fetch`, through its circuit breaker (server/http/ehr-breakers.ts); plain fetch when absent. */
  ehrFetch?: (tenantId: string) => typeof fetch;
}

export interface AccessTokenProvider {
  /** A token valid for at least the next minute, refreshing first when needed. */
  getAccessToken(): Promise<string>;
  /** Called after a 401: refresh once; false means the clinician must relaunch. */
  refreshAfterUnauthorized(): Promise<boolean>;
  /** True once the EHR refused this launch's token after a refresh (or refused the refresh): the session is over. */
  sessionEnded(): boolean;
}

const REFRESH_MARGIN_MS = 60_000;
const MIN_REFRESH_INTERVAL_MS = 60_000;
const inFlight = new Map<string, Promise<boolean>>();
const lastAttempt = new Map<string, number>();

async function requestRefresh(deps: AccessTokenDeps, session: LaunchSession): Promise<LaunchTokens | undefined> {
  const tokenUri = session.context.tokenUri;
  const refreshToken = session.tokens.refreshToken;
  if (typeof tokenUri !== 'string' || tokenUri === '' || refreshToken === undefined) {
    return undefined;
  }
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: signClientAssertion(deps.signingKey, deps.clientId, tokenUri, deps.jwksUrl),
  });
  const response = await fetchOutbound(tokenUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: body.toString(),
    timeoutMs: 10_000,
    purpose: 'refreshing access',
  });
  if (response.status !== 200) {
    deps.logger.warn('token.refresh_rejected', { status: response.status });
    return undefined;
  }
  const json = JSON.parse(response.text) as Record<string, unknown>;
  if (typeof json.access_token !== 'string') {
    return undefined;
  }
  const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 300;
  return {
    ...session.tokens,
    accessToken: json.access_token,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : refreshToken,
    scope: typeof json.scope === 'string' ? json.scope : session.tokens.scope,
    expiresAt: new Date(Date.now() + expiresIn * 1000),
  };
}

async function refreshOnce(deps: AccessTokenDeps, session: LaunchSession): Promise<boolean> {
  const last = lastAttempt.get(session.launchId) ?? 0;
  if (Date.now() - last < MIN_REFRESH_INTERVAL_MS) {
    return false;
  }
  lastAttempt.set(session.launchId, Date.now());
  try {
    const tokens = await requestRefresh(deps, session);
    if (tokens === undefined) {
      return false;
    }
    await deps.store.updateTokens(session.launchId, tokens);
    session.tokens = tokens;
    deps.logger.info('token.refreshed', { launch: session.launchId.slice(0, 8) });
    return true;
  } catch (error) {
    deps.logger.warn('token.refresh_failed', { error: error instanceof Error ? error.name : 'unknown' });
    return false;
  }
}

function singleFlightRefresh(deps: AccessTokenDeps, session: LaunchSession): Promise<boolean> {
  const running = inFlight.get(session.launchId);
  if (running !== undefined) {
    return running;
  }
  const attempt = refreshOnce(deps, session).finally(() => inFlight.delete(session.launchId));
  inFlight.set(session.launchId, attempt);
  return attempt;
}

export function createAccessTokenProvider(deps: AccessTokenDeps, session: LaunchSession): AccessTokenProvider {
  let ended = false;
  return {
    async getAccessToken(): Promise<string> {
      if (session.tokens.expiresAt.getTime() - REFRESH_MARGIN_MS < Date.now()) {
        await singleFlightRefresh(deps, session);
      }
      return session.tokens.accessToken;
    },
    async refreshAfterUnauthorized(): Promise<boolean> {
      const refreshed = await singleFlightRefresh(deps, session);
      ended ||= !refreshed;
      return refreshed;
    },
    sessionEnded: () => ended,
  };
}
