import express from 'express';
import type { Response, Router } from 'express';
import { FHIR_SITE_PATHS, siteContext } from '../context';
import type { FhirSiteContext, SandboxContext } from '../context';
import { SANDBOX_VENDORS } from '../types';

/** The SMART capabilities this sandbox implements (conformance.html#capabilities). */
const CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'client-public',
  'client-confidential-asymmetric',
  'sso-openid-connect',
  'context-banner',
  'context-style',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'permission-offline',
  'permission-online',
  'permission-patient',
  'permission-user',
  'permission-v1',
  'permission-v2',
];

const SCOPES_SUPPORTED = [
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'launch/encounter',
  'online_access',
  'offline_access',
  'patient/*.cruds',
  'user/*.cruds',
  'patient/*.read',
  'patient/*.write',
  'user/*.read',
  'user/*.write',
  'system/*.rs',
  'system/*.read',
];

/** Styling hints for `smart_style_url` (experimental in SMART 2.2; apps may ignore them). */
const SMART_STYLE = {
  color_background: '#f6f7f9',
  color_error: '#b3261e',
  color_highlight: '#0b5cad',
  color_modal_backdrop: 'rgba(0,0,0,0.4)',
  color_success: '#1e7b34',
  color_text: '#1b1f24',
  dim_border_radius: '4px',
  dim_font_size: '15px',
  dim_spacing_size: '16px',
  font_family_body: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  font_family_heading: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
};

/** Discovery documents are public and "SHALL be JSON, regardless of Accept headers" (conformance.html). */
function sendPublicJson(res: Response, body: unknown): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Cache-Control', 'public, max-age=60');
  res.type('application/json').send(JSON.stringify(body));
}

export function smartConfiguration(ctx: FhirSiteContext): Record<string, unknown> {
  return {
    issuer: ctx.fhirBaseUrl,
    jwks_uri: ctx.jwksUrl,
    authorization_endpoint: ctx.authorizeUrl,
    token_endpoint: ctx.tokenUrl,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt', 'none'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: CAPABILITIES,
  };
}

function openidConfiguration(ctx: FhirSiteContext): Record<string, unknown> {
  return {
    issuer: ctx.fhirBaseUrl,
    jwks_uri: ctx.jwksUrl,
    authorization_endpoint: ctx.authorizeUrl,
    token_endpoint: ctx.tokenUrl,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: SCOPES_SUPPORTED,
  };
}

/**
 * Each FHIR base's `.well-known/smart-configuration` and `.well-known/openid-configuration` (issuer = that base;
 * the authorization server behind them is shared), `/auth/jwks` and `/smart-style.json`.
 */
export function discoveryRoutes(ctx: SandboxContext): Router {
  const router = express.Router();
  for (const vendor of SANDBOX_VENDORS) {
    const site = siteContext(ctx, vendor);
    const base = FHIR_SITE_PATHS[vendor];
    router.get(`${base}/.well-known/smart-configuration`, (_req, res) => sendPublicJson(res, smartConfiguration(site)));
    router.get(`${base}/.well-known/openid-configuration`, (_req, res) => sendPublicJson(res, openidConfiguration(site)));
  }
  router.get('/auth/jwks', (_req, res) => sendPublicJson(res, { keys: [ctx.signingKey.publicJwk] }));
  router.get('/smart-style.json', (_req, res) => sendPublicJson(res, SMART_STYLE));
  return router;
}
