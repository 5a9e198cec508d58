import crypto from 'node:crypto';
import type { AppConfig, TenantConfig } from '../config';
import { COMPLIANCE_SCOPES } from '../config';
import { AppError, badRequest, isAppError } from '../errors';
import type { Logger } from '../log';
import { scrub } from '../log';
import type { LaunchPurpose, LaunchSession, LaunchSessionStore, LaunchTokens } from '../store/launch-sessions';
import type { AppSigningKey } from './app-keys';
import { exchangeAuthorizationCode } from './code-exchange';
import type { SmartConfiguration } from './discovery';
import { checkPkceSupport, checkResponseIssuer, smartConfigurationFor } from './discovery';
import type { ClientState } from './fhirclient-bridge';
import { prepareAuthorization } from './fhirclient-bridge';
import { verifyIdToken } from './id-token';
import { authorizeRefusal, relaunchNeeded } from './launch-errors';
import { parseTokenResponse } from './token-response';

/**
 * The SMART launch as a story: begin (allow-listed iss → discovery → PKCE → authorize URL), then complete
 * (single-use state bound to this browser → code exchange → id_token verified → launch session stored).
 * See https://hl7.org/fhir/smart-app-launch/STU2.2/app-launch.html
 */
export interface LaunchDeps {
  config: AppConfig;
  store: LaunchSessionStore;
  signingKey: AppSigningKey;
  logger: Logger;
}

export interface BeginInput {
  tenant: TenantConfig;
  /** The EHR's opaque launch token; absent for a standalone launch. */
  launch: string | undefined;
  browserSessionId: string;
  /** Default `clinical`; `compliance` is the dashboard's standalone launch (no patient, read-only scopes). */
  purpose?: LaunchPurpose;
}

const STANDALONE_SCOPES = ['launch/patient'];

function scopesFor(config: AppConfig, launch: string | undefined, purpose: LaunchPurpose): string {
  if (purpose === 'compliance') {
    return COMPLIANCE_SCOPES;
  }
  const base = config.scopes.split(' ').filter((s) => launch !== undefined || s !== 'launch');
  return (launch === undefined ? [...base, ...STANDALONE_SCOPES] : base).join(' ');
}

export const redirectUriOf = (config: AppConfig): string => `${config.appBaseUrl}/callback`;
export const jwksUrlOf = (config: Pick<AppConfig, 'appBaseUrl'>): string => `${config.appBaseUrl}/.well-known/jwks.json`;

/** What went wrong underneath a launch error, as one scrubbed log field (the page already says it in words). */
function failureForLog(error: unknown): string {
  return scrub(String(isAppError(error) && error.cause !== undefined ? error.cause : error));
}

/** Starts an authorization and returns the EHR URL to send the browser to. */
export async function beginLaunch(deps: LaunchDeps, input: BeginInput): Promise<string> {
  const { config, store, logger } = deps;
  const stateKey = crypto.randomBytes(32).toString('base64url'); // 256 bits from the CSPRNG (spec: ≥ 122)
  let endpoints: SmartConfiguration;
  try {
    endpoints = await smartConfigurationFor(input.tenant);
    checkPkceSupport(endpoints);
  } catch (error) {
    const reason = isAppError(error) && typeof error.details?.reason === 'string' ? error.details.reason : undefined;
    logger.warn(reason === 'endpoint_not_pinned' ? 'launch.endpoint_not_pinned' : 'launch.discovery_failed', {
      tenant: input.tenant.id,
      reason,
      error: failureForLog(error),
    });
    throw error;
  }
  const { url, state } = await prepareAuthorization({
    iss: input.tenant.iss,
    launch: input.launch,
    clientId: input.tenant.clientId,
    scope: scopesFor(config, input.launch, input.purpose ?? 'clinical'),
    redirectUri: redirectUriOf(config),
    stateKey,
    endpoints,
  });
  const purpose = input.purpose ?? 'clinical';
  await store.savePending({ state: stateKey, browserSessionId: input.browserSessionId, tenantId: input.tenant.id, clientState: state, purpose });
  logger.info('launch.authorize_redirect', { tenant: input.tenant.id, kind: input.launch === undefined ? 'standalone' : 'ehr', purpose });
  return url;
}

export interface CallbackInput {
  browserSessionId: string | undefined;
  state: string | undefined;
  code: string | undefined;
  error: string | undefined;
  errorDescription: string | undefined;
  /** RFC 9207 `iss` of the authorization response, when the EHR sends one. */
  iss: string | undefined;
}

/**
 * The callback came back without the browser-session cookie that /launch set: this browser keeps no cookie for the
 * app where it runs — typically an EHR frame in a browser that blocks third-party cookies and does not support
 * partitioned (CHIPS) cookies. Launching again in the same place would fail the same way, so the page says what
 * to do instead (a new window, or cookies allowed for this app), and does not redirect anywhere.
 */
function browserCookieMissing(): AppError {
  return new AppError('unauthorized', 'This browser did not keep ITDD Consent\'s sign-in cookie, so the sign-in cannot be finished here.', {
    hint: 'This happens when the browser blocks cookies for apps shown inside the EHR window. Open ITDD Consent from the chart in a new window, or ask your EHR analyst to allow cookies for this app\'s address (or to open it outside the EHR frame).',
    details: { reason: 'browser_cookie_missing' },
  });
}

/** Completes the authorization on the redirect URL; returns the new launch session. */
export async function completeLaunch(deps: LaunchDeps, input: CallbackInput): Promise<LaunchSession> {
  const { config, store, logger } = deps;
  if (input.state === undefined) {
    throw badRequest('The sign-in answer from the EHR carried no state, so it cannot be trusted.', {
      hint: 'Launch the app again from the patient\'s chart.',
      details: { reason: 'state_missing' },
    });
  }
  if (input.browserSessionId === undefined) {
    logger.warn('launch.cookie_missing', {});
    throw browserCookieMissing();
  }
  const pending = await store.takePending(input.state, input.browserSessionId);
  if (pending === undefined) {
    logger.warn('launch.state_rejected', {});
    throw relaunchNeeded('This sign-in link is not valid here: it was already used, has expired, or belongs to another browser window.', 'state_invalid');
  }
  const tenant = config.tenants.find((t) => t.id === pending.tenantId);
  if (tenant === undefined) {
    throw relaunchNeeded('The EHR this launch came from is no longer configured.', 'tenant_gone');
  }
  if (input.error !== undefined) {
    logger.warn('launch.ehr_error', { tenant: tenant.id, error: scrub(input.error, 40) });
    throw authorizeRefusal(input.error, input.errorDescription === undefined ? undefined : scrub(input.errorDescription, 200));
  }
  checkResponseIssuer(input.iss, await smartConfigurationFor(tenant), tenant);
  if (input.code === undefined) {
    throw badRequest('The sign-in answer from the EHR carried no authorization code.', { details: { reason: 'code_missing' } });
  }
  const exchanged = await exchangeCode(deps, pending.clientState as ClientState, input.code, tenant);
  const purpose = pending.purpose ?? 'clinical';
  const tokens = parseTokenResponse(exchanged.tokenResponse ?? {}, Date.now(), { patientRequired: purpose === 'clinical' });
  const identity = await verifyIdToken(tokens.idToken ?? '', tenant, tenant.clientId);
  const session = await store.create({
    launchId: crypto.randomBytes(24).toString('base64url'),
    purpose,
    browserSessionId: pending.browserSessionId,
    tenantId: tenant.id,
    fhirBaseUrl: exchanged.serverUrl.replace(/\/+$/, ''),
    patientId: tokens.patientId,
    ...(tokens.encounterId === undefined ? {} : { encounterId: tokens.encounterId }),
    ...(identity.fhirUser === undefined ? {} : { fhirUser: identity.fhirUser }),
    userSub: identity.subject,
    context: { ...tokens.context, tokenUri: exchanged.tokenUri ?? '', userName: identity.name ?? '' },
    tokens: tokens.tokens satisfies LaunchTokens,
    csrfToken: crypto.randomBytes(32).toString('base64url'),
  });
  logger.info('launch.completed', { tenant: tenant.id, launch: session.launchId.slice(0, 8) });
  return session;
}

async function exchangeCode(deps: LaunchDeps, state: ClientState, code: string, tenant: TenantConfig): Promise<ClientState> {
  if (tokenIdTokenMissing(state)) {
    throw relaunchNeeded('The launch was set up without identity scopes.', 'scope_missing');
  }
  try {
    return await exchangeAuthorizationCode({ state, code, tenant, signingKey: deps.signingKey, jwksUrl: jwksUrlOf(deps.config) });
  } catch (error) {
    deps.logger.warn('launch.token_exchange_failed', {
      tenant: tenant.id,
      error: failureForLog(error),
    });
    throw error;
  }
}

function tokenIdTokenMissing(state: ClientState): boolean {
  return !(state.scope ?? '').split(' ').includes('openid');
}
