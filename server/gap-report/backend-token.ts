/**
 * SMART Backend Services client (https://hl7.org/fhir/smart-app-launch/STU2.2/backend-services.html): an access
 * token from the tenant's token endpoint with `grant_type=client_credentials` and a `private_key_jwt` assertion
 * signed with jsonwebtoken by the app's key (`signClientAssertion`: RS384/ES384, iss = sub = the backend client id,
 * aud = the token URL, a fresh jti, exp two minutes ahead). The token URL comes from the tenant's SMART discovery,
 * pinned to its auth origins; the request goes through the outbound rules (deadline, size cap, no redirects).
 *
 * The token is cached in memory until a minute before it expires and is never logged, stored or put in an error.
 */
import type { TenantConfig } from '../config';
import { AppError, badGateway, isAppError } from '../errors';
import { fetchOutbound, OUTBOUND_REASON } from '../http/outbound';
import type { AppSigningKey } from '../launch/app-keys';
import { signClientAssertion } from '../launch/app-keys';
import { smartConfigurationFor, smartConfigurationUrl } from '../launch/discovery';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A token this close to its expiry is not used: a report's reads must not outlive it. */
const EXPIRY_MARGIN_MS = 60_000;
const TOKEN_TIMEOUT_MS = 10_000;
const TOKEN_MAX_BYTES = 64 * 1024;

export interface BackendTokenOptions {
  tenant: TenantConfig;
  signingKey: AppSigningKey;
  /** The app's public JWKS URL, named in the assertion's `jku` header (as the launch's assertion does). */
  jwksUrl: string;
  now?: () => number;
}

export interface BackendToken {
  accessToken: string;
  expiresAt: number;
  scope: string;
}

/** Which OAuth error the token endpoint answered, without echoing its description (it may say anything). */
function oauthErrorOf(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: unknown }).error;
    return typeof error === 'string' && /^[a-z_]{1,40}$/.test(error) ? error : 'unknown';
  } catch {
    return 'unknown';
  }
}

function parseToken(text: string, now: number): BackendToken {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw badGateway('The EHR\'s token endpoint did not answer with JSON.');
  }
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn, scope } = body;
  if (typeof accessToken !== 'string' || accessToken === '' || typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    throw badGateway('The EHR\'s token endpoint answered without a bearer token.');
  }
  const lifetimeS = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 300;
  return { accessToken, expiresAt: now + lifetimeS * 1000, scope: typeof scope === 'string' ? scope : '' };
}

/** Why the token URL could not be learned, in one sentence: unreachable, too slow, or the EHR's answer was wrong. */
function discoveryError(tenant: TenantConfig, error: unknown): AppError {
  const url = smartConfigurationUrl(tenant.iss);
  const underlying = error instanceof Error ? error.cause : undefined;
  const reason = isAppError(underlying) ? underlying.details?.reason : undefined;
  const options = { details: { reason: 'discovery_failed' }, cause: error, hint: 'Check that the EHR is up and that the tenant\'s iss is its FHIR base.' };
  if (reason === OUTBOUND_REASON.unreachable) {
    return badGateway(`The EHR ${tenant.id} could not be reached (its SMART configuration at ${url}).`, options);
  }
  if (reason === OUTBOUND_REASON.timeout) {
    return badGateway(`The EHR ${tenant.id} did not answer in time (its SMART configuration at ${url}).`, options);
  }
  return badGateway(`The SMART configuration of the EHR ${tenant.id} could not be used: ${isAppError(error) ? error.message : 'unexpected error'}`, options);
}

/** One tenant's backend-services token, fetched when needed and reused while it is good. */
export class BackendTokenSource {
  private cached: BackendToken | undefined;
  private running: Promise<BackendToken> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BackendTokenOptions) {
    if (options.tenant.backend === undefined) {
      throw new AppError('bad_request', `The EHR ${options.tenant.id} has no SMART Backend Services client configured.`, {
        hint: 'Add "backend": {"clientId": "…"} to the tenant in EHR_TENANTS (docs/ehr-setup.md).',
      });
    }
    this.now = options.now ?? Date.now;
  }

  /** A token good for at least another minute; `fresh` drops the cached one (after the EHR answered 401). */
  async accessToken(fresh = false): Promise<string> {
    if (fresh) {
      this.cached = undefined;
    }
    if (this.cached !== undefined && this.cached.expiresAt - EXPIRY_MARGIN_MS > this.now()) {
      return this.cached.accessToken;
    }
    // Concurrent reads share one token request.
    this.running ??= this.request().finally(() => {
      this.running = undefined;
    });
    this.cached = await this.running;
    return this.cached.accessToken;
  }

  /** The scopes granted with the current token (empty before the first). */
  grantedScope(): string {
    return this.cached?.scope ?? '';
  }

  private async request(): Promise<BackendToken> {
    const { tenant, signingKey, jwksUrl } = this.options;
    const backend = tenant.backend as NonNullable<TenantConfig['backend']>;
    let tokenUrl: string;
    try {
      tokenUrl = (await smartConfigurationFor(tenant)).tokenEndpoint;
    } catch (error) {
      throw discoveryError(tenant, error);
    }
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: backend.scopes,
      client_assertion_type: JWT_BEARER,
      client_assertion: signClientAssertion(signingKey, backend.clientId, tokenUrl, jwksUrl),
    });
    const response = await fetchOutbound(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      timeoutMs: TOKEN_TIMEOUT_MS,
      maxBytes: TOKEN_MAX_BYTES,
      purpose: 'the backend-services token',
    });
    if (response.status !== 200) {
      const error = oauthErrorOf(response.text);
      throw badGateway(`The EHR refused the app's backend-services sign-in (${response.status} ${error}).`, {
        hint: 'Check that the EHR registered the backend client id with the app\'s JWKS URL and the system scopes.',
        details: { reason: 'backend_token_refused', oauthError: error },
      });
    }
    return parseToken(response.text, this.now());
  }
}
