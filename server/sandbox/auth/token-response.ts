import type { SandboxContext } from '../context';
import { OFFLINE_REFRESH_TTL_MS, ONLINE_REFRESH_TTL_MS, randomToken } from '../state';
import type { Grant } from '../types';
import { signIdToken } from './id-token';
import { wantsRefreshToken } from './scopes';

/** Oracle Health's documented default access-token life: "valid for 570 seconds". */
const ORACLE_TOKEN_LIFETIME_S = 570;

export interface IssuedTokens {
  body: Record<string, unknown>;
  accessToken: string;
  refreshToken?: string;
}

function lifetimeSeconds(ctx: SandboxContext, grant: Grant): number {
  return grant.context.simulation.vendor === 'oracle' ? ORACLE_TOKEN_LIFETIME_S : ctx.accessTokenLifetimeSeconds;
}

/** `need_patient_banner` as the launch asked for it; Epic sends the string "false". */
function patientBanner(grant: Grant): boolean | string {
  const { vendor, banner } = grant.context.simulation;
  if (vendor === 'epic' || banner === 'string-false') {
    return 'false';
  }
  return banner === 'true';
}

/** The SMART launch context that rides along with the token (app-launch.html, "launch context parameters"). */
function launchContext(ctx: SandboxContext, grant: Grant): Record<string, unknown> {
  const { patient, encounter, simulation } = grant.context;
  // Nothing here names the imitated vendor: the app knows it from the tenant configured for the `iss`, as with a real EHR.
  const context: Record<string, unknown> = {
    ...(patient === undefined ? {} : { patient }),
    need_patient_banner: patientBanner(grant),
    smart_style_url: ctx.styleUrl,
  };
  if (grant.ehrLaunch && encounter !== undefined) {
    context.encounter = encounter;
  }
  if (simulation.vendor === 'epic' && patient !== undefined) {
    context['__epic.dstu2.patient'] = `dstu2-${patient}`;
  }
  return context;
}

function issueRefreshToken(ctx: SandboxContext, grant: Grant): string {
  const refreshToken = randomToken();
  const ttlMs = grant.scopes.includes('offline_access') ? OFFLINE_REFRESH_TTL_MS : ONLINE_REFRESH_TTL_MS;
  ctx.state.refreshTokens.set(refreshToken, { grant, ttlMs }, ttlMs);
  return refreshToken;
}

/** Remembers what was handed out (bounded), so leak tests can search pages, URLs and logs for every real secret. */
function recordIssued(ctx: SandboxContext, secrets: unknown[]): void {
  for (const secret of secrets) {
    if (typeof secret === 'string') {
      ctx.state.issuedSecrets.push(secret);
    }
  }
  ctx.state.issuedSecrets.splice(0, Math.max(0, ctx.state.issuedSecrets.length - MAX_ISSUED_RECORDED));
}

const MAX_ISSUED_RECORDED = 10_000;

/**
 * Issues an access token (opaque, 256 bits, kept in memory with its grant), a refresh token when `online_access`
 * or `offline_access` was granted, and an id_token for `openid`. Returns the token response body.
 */
export function issueTokens(ctx: SandboxContext, grant: Grant, nonce?: string): IssuedTokens {
  const expiresIn = lifetimeSeconds(ctx, grant);
  const accessToken = randomToken();
  ctx.state.accessTokens.set(accessToken, grant, expiresIn * 1000);
  const body: Record<string, unknown> = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: expiresIn,
    scope: grant.scopes.join(' '),
    ...launchContext(ctx, grant),
  };
  const refreshToken = wantsRefreshToken(grant.scopes) ? issueRefreshToken(ctx, grant) : undefined;
  if (refreshToken !== undefined) {
    body.refresh_token = refreshToken;
  }
  if (grant.scopes.includes('openid')) {
    body.id_token = signIdToken(ctx, grant, expiresIn, nonce);
  }
  recordIssued(ctx, [accessToken, refreshToken, body.id_token]);
  return { body, accessToken, ...(refreshToken === undefined ? {} : { refreshToken }) };
}
