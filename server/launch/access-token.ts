import type { Logger } from '../log';
import { fetchOutbound } from '../http/outbound';
import type { LaunchSession, LaunchSessionStore, LaunchTokens } from '../store/launch-sessions';
import type { AppSigningKey } from './app-keys';
import { signClientAssertion } from './app-keys';
import { isBearerTokenType, tokenLifetimeSeconds } from './token-response';

/**
 * Keeps a launch's access token fresh, server-side. fhirclient refreshes without a client assertion, which an
 * asymmetric client needs, so refresh is done here: private_key_jwt, the rotated refresh token stored at once,
 * one refresh in flight per launch across every app instance (SMART best practices: never use a refresh token
 * twice), and at most one attempt a minute (Oracle Health throttles faster refreshes). Both rules are held in the
 * store — a lease on the launch's row and the time of the last attempt — so instances behind a load balancer keep
 * them together; the tokens are stored by compare-and-set, so a rotated refresh token is never lost.
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
  /** The EHR answered 401 to the token a refresh just brought: no further refresh will help. */
  refusedAfterRefresh(): void;
}

const REFRESH_MARGIN_MS = 60_000;
const MIN_REFRESH_INTERVAL_MS = 60_000;
/** How long a claimed refresh may take before another instance may claim it (the token request's deadline + margin). */
const REFRESH_LEASE_MS = 15_000;
const WAIT_POLL_MS = 200;
/** Concurrent requests of one process share its refresh; the rules themselves are in the store. */
const inFlight = new Map<string, Promise<boolean>>();

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
  // The same rules as the launch's own token response (token-response.ts): a Bearer token, a lifetime or a short one.
  if (typeof json.access_token !== 'string' || json.access_token === '' || !isBearerTokenType(json.token_type)) {
    deps.logger.warn('token.refresh_unusable', { reason: typeof json.access_token === 'string' && json.access_token !== '' ? 'token_type' : 'token_missing' });
    return undefined;
  }
  const expiresIn = tokenLifetimeSeconds(json.expires_in);
  return {
    ...session.tokens,
    accessToken: json.access_token,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : refreshToken,
    scope: typeof json.scope === 'string' ? json.scope : session.tokens.scope,
    expiresAt: new Date(Date.now() + expiresIn * 1000),
  };
}

/** Adopts tokens another instance stored, if they are newer than the ones this request holds. */
function adopt(session: LaunchSession, stored: LaunchTokens): boolean {
  if (stored.accessToken === session.tokens.accessToken) {
    return false;
  }
  session.tokens = stored;
  return true;
}

/** Another instance holds the refresh (or made it within the minute): wait for its result, bounded by its lease. */
async function awaitOtherRefresh(deps: AccessTokenDeps, session: LaunchSession): Promise<boolean> {
  const until = Date.now() + REFRESH_LEASE_MS;
  for (;;) {
    const current = await deps.store.currentTokens(session.launchId);
    if (current === undefined) {
      return false;
    }
    if (adopt(session, current.tokens)) {
      return true;
    }
    if (!current.refreshing || Date.now() >= until) {
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

async function refreshOnce(deps: AccessTokenDeps, session: LaunchSession): Promise<boolean> {
  const claim = await deps.store.claimRefresh(session.launchId, REFRESH_LEASE_MS, MIN_REFRESH_INTERVAL_MS);
  if (claim === undefined) {
    return awaitOtherRefresh(deps, session);
  }
  if (adopt(session, claim.tokens)) {
    await deps.store.finishRefresh(session.launchId, claim.version, undefined); // already refreshed elsewhere
    return true;
  }
  let tokens: LaunchTokens | undefined;
  try {
    // The stored refresh token, not this request's copy: another instance may have rotated it.
    tokens = await requestRefresh(deps, { ...session, tokens: claim.tokens });
  } catch (error) {
    deps.logger.warn('token.refresh_failed', { error: error instanceof Error ? error.name : 'unknown' });
  }
  const stored = await deps.store.finishRefresh(session.launchId, claim.version, tokens);
  if (tokens === undefined || !stored) {
    return false;
  }
  session.tokens = tokens;
  deps.logger.info('token.refreshed', { launch: session.launchId.slice(0, 8) });
  return true;
}

async function singleFlightRefresh(deps: AccessTokenDeps, session: LaunchSession): Promise<boolean> {
  const running = inFlight.get(session.launchId);
  if (running !== undefined) {
    // Another request of this process is refreshing: its result is in the store, not in this request's session.
    const refreshed = await running;
    const current = refreshed ? await deps.store.currentTokens(session.launchId) : undefined;
    if (current !== undefined) {
      adopt(session, current.tokens);
    }
    return refreshed;
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
    refusedAfterRefresh: () => {
      ended = true;
    },
  };
}
