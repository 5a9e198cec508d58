import express from 'express';
import type { Request, Response, Router } from 'express';
import type { SandboxContext } from '../context';
import { oauthError } from '../errors';
import { escapeHtml } from '../html';
import type { SandboxClient } from '../types';
import { clientCredentials } from './backend-services';
import { authenticateClient } from './client-auth';
import { verifierMatchesChallenge } from './pkce';
import { splitScopes } from './scopes';
import { issueTokens } from './token-response';
import type { IssuedTokens } from './token-response';

type TokenBody = Record<string, string | undefined>;

/** Form fields as single strings; a repeated parameter is a malformed request (RFC 6749 §3.2). */
function readBody(req: Request): TokenBody {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw oauthError('invalid_request', 'The token request must be application/x-www-form-urlencoded.');
  }
  const raw = (req.body ?? {}) as Record<string, unknown>;
  const body: TokenBody = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw oauthError('invalid_request', `Parameter ${key} must appear once.`);
    }
    body[key] = value;
  }
  return body;
}

/** A presented-again code revokes what it produced, as RFC 6749 §4.1.2 recommends. */
function rejectReusedCode(ctx: SandboxContext, code: string): never {
  const redeemed = ctx.state.redeemedCodes.take(code);
  if (redeemed !== undefined) {
    ctx.state.accessTokens.delete(redeemed.accessToken);
    if (redeemed.refreshToken !== undefined) {
      ctx.state.refreshTokens.delete(redeemed.refreshToken);
    }
    throw oauthError('invalid_grant', 'The authorization code was already used; its tokens are revoked.');
  }
  throw oauthError('invalid_grant', 'The authorization code is unknown or expired.');
}

type GrantResult = IssuedTokens | 'simulated-failure';

function redeemCode(ctx: SandboxContext, client: SandboxClient, body: TokenBody): GrantResult {
  const code = body.code ?? '';
  const record = ctx.state.codes.take(code);
  if (record === undefined) {
    rejectReusedCode(ctx, code);
  }
  const { request, grant } = record;
  if (request.clientId !== client.clientId) {
    throw oauthError('invalid_grant', 'The authorization code was issued to another client.');
  }
  if (body.redirect_uri !== request.redirectUri) {
    throw oauthError('invalid_grant', 'redirect_uri does not match the authorization request.');
  }
  if (!verifierMatchesChallenge(body.code_verifier, request.codeChallenge)) {
    throw oauthError('invalid_grant', 'The PKCE code_verifier is missing or does not match the code_challenge.');
  }
  if (request.launchId !== undefined) {
    ctx.state.launches.delete(request.launchId);
  }
  if (grant.context.simulation.fault === 'token_failure') {
    return 'simulated-failure';
  }
  if (grant.context.simulation.fault === 'invalid_client') {
    throw oauthError('invalid_client', 'Client authentication failed.');
  }
  if (grant.context.simulation.fault === 'token_invalid_jti') {
    throw oauthError('invalid_client', 'The client assertion jti is invalid (simulated).');
  }
  const issued = issueTokens(ctx, grant, request.nonce);
  const redeemed = { accessToken: issued.accessToken, ...(issued.refreshToken ? { refreshToken: issued.refreshToken } : {}) };
  ctx.state.redeemedCodes.set(code, redeemed, ctx.accessTokenLifetimeSeconds * 1000);
  return issued;
}

/** Refresh with rotation: the presented refresh token dies, a new one (and a new access token) is issued. */
function refresh(ctx: SandboxContext, client: SandboxClient, body: TokenBody): GrantResult {
  const record = ctx.state.refreshTokens.take(body.refresh_token ?? '');
  if (record === undefined || record.grant.clientId !== client.clientId) {
    throw oauthError('invalid_grant', 'The refresh token is unknown, expired or already used.');
  }
  if (record.grant.context.simulation.fault === 'refresh_refused') {
    throw oauthError('invalid_grant', 'The refresh token was revoked.');
  }
  let scopes = record.grant.scopes;
  if (body.scope !== undefined) {
    const asked = splitScopes(body.scope);
    if (asked.some((s) => !scopes.includes(s))) {
      throw oauthError('invalid_scope', 'A refresh may only narrow the granted scopes.');
    }
    scopes = asked;
  }
  return issueTokens(ctx, { ...record.grant, scopes });
}

/** The `token_failure` fault: what a token endpoint behind a broken proxy returns. */
function sendSimulatedFailure(res: Response): void {
  res.status(500).setHeader('Cache-Control', 'no-store').type('html');
  res.send(`<!doctype html><html><body><h1>${escapeHtml('500 Internal Server Error')}</h1></body></html>`);
}

/** `POST /auth/token`: the SMART token endpoint (authorization_code, refresh_token and client_credentials grants). */
export function tokenRoutes(ctx: SandboxContext): Router {
  const router = express.Router();
  router.post('/auth/token', express.urlencoded({ extended: false, limit: '64kb' }), async (req, res) => {
    const body = readBody(req);
    const client = await authenticateClient(ctx, body);
    if (body.grant_type === 'client_credentials') {
      if (client.public === true) {
        throw oauthError('unauthorized_client', 'SMART Backend Services needs a confidential client with a signed assertion.');
      }
      res.setHeader('Cache-Control', 'no-store').setHeader('Pragma', 'no-cache').json(clientCredentials(ctx, client, body.scope));
      return;
    }
    let result: GrantResult;
    if (body.grant_type === 'authorization_code') {
      result = redeemCode(ctx, client, body);
    } else if (body.grant_type === 'refresh_token') {
      result = refresh(ctx, client, body);
    } else {
      throw oauthError('unsupported_grant_type', 'Only authorization_code, refresh_token and client_credentials are supported.');
    }
    if (result === 'simulated-failure') {
      sendSimulatedFailure(res);
      return;
    }
    res.setHeader('Cache-Control', 'no-store').setHeader('Pragma', 'no-cache').json(result.body);
  });
  router.all('/auth/token', () => {
    throw oauthError('invalid_request', 'Use POST.');
  });
  return router;
}
