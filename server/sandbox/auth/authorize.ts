import crypto from 'node:crypto';
import express from 'express';
import type { Request, Response, Router } from 'express';
import { badRequest, forbidden } from '../../errors';
import type { SandboxContext } from '../context';
import { isCrossSitePost, readCookie } from '../cookies';
import { sendHtml } from '../html';
import { DEFAULT_SIMULATION } from '../types';
import { PENDING_TTL_MS, randomToken } from '../state';
import type { AuthorizationRequest, PendingAuthorization } from '../state';
import { errorRedirect, parseAuthorizeRequest } from './authorize-request';
import { renderAuthorizePage } from './authorize-page';
import { grantFor, redirectWithCode } from './codes';

const BROWSER_COOKIE = 'sandbox_browser';

/** EHR launch: the launch token carries patient, encounter, user and simulation; no login page. */
function answerEhrLaunch(ctx: SandboxContext, request: AuthorizationRequest, launchId: string): string {
  const launch = ctx.state.launches.get(launchId);
  if (launch?.clientId !== request.clientId) {
    return errorRedirect(request.redirectUri, 'invalid_request', 'The launch is unknown or expired.', request.state);
  }
  // A launch is issued by one EHR: presenting it with another base's `aud` is the app mixing up tenants.
  if (launch.context.simulation.vendor !== request.vendor) {
    return errorRedirect(request.redirectUri, 'invalid_request', 'The launch belongs to another FHIR server than aud.', request.state);
  }
  if (launch.context.simulation.fault === 'access_denied') {
    return errorRedirect(request.redirectUri, 'access_denied', 'The user denied access (simulated).', request.state);
  }
  if (launch.context.simulation.fault === 'auth_invalid_scope') {
    return errorRedirect(request.redirectUri, 'invalid_scope', 'The requested scope is invalid (simulated).', request.state);
  }
  return redirectWithCode(ctx, request, grantFor(request, launch.context, true));
}

/** Standalone launch: remember the request server-side and show the sign-in page bound to this browser. */
function showStandalonePage(ctx: SandboxContext, req: Request, res: Response, request: AuthorizationRequest): void {
  let browserId = readCookie(req.headers.cookie, BROWSER_COOKIE);
  if (browserId === undefined || !/^[A-Za-z0-9_-]{43}$/.test(browserId)) {
    browserId = randomToken();
    const secure = ctx.baseUrl.startsWith('https:') ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${BROWSER_COOKIE}=${browserId}; Path=/auth; HttpOnly; SameSite=Lax${secure}`);
  }
  const requestId = randomToken();
  const pending: PendingAuthorization = { request, csrf: randomToken(), browserId };
  ctx.state.pending.set(requestId, pending, PENDING_TTL_MS);
  const html = renderAuthorizePage({
    appName: request.clientId,
    requestId,
    csrf: pending.csrf,
    scopes: request.scopes,
    practitioners: ctx.data.practitioners,
    patients: ctx.data.patients,
  });
  sendHtml(res, 200, html);
}

function sameSecret(a: string | undefined, b: string): boolean {
  return a !== undefined && a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Checks the decision form came from the page we served to this browser; returns the pending request. */
function takePending(ctx: SandboxContext, req: Request): PendingAuthorization {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const pending = typeof body.request === 'string' ? ctx.state.pending.take(body.request) : undefined;
  if (pending === undefined) {
    throw badRequest('This sign-in page has expired. Start the launch again from the app.');
  }
  const csrf = typeof body.csrf === 'string' ? body.csrf : undefined;
  const cookie = readCookie(req.headers.cookie, BROWSER_COOKIE);
  if (isCrossSitePost(req.get('sec-fetch-site')) || !sameSecret(csrf, pending.csrf) || !sameSecret(cookie, pending.browserId)) {
    throw forbidden('The sign-in form could not be verified. Start the launch again from the app.');
  }
  return pending;
}

function decide(ctx: SandboxContext, req: Request): string {
  const { request } = takePending(ctx, req);
  const body = req.body as Record<string, unknown>;
  if (body.decision !== 'approve') {
    return errorRedirect(request.redirectUri, 'access_denied', 'The user denied access.', request.state);
  }
  const user = ctx.data.practitioners.find((p) => p.id === body.user);
  // A launch that asked for no patient (`launch/patient`), such as a compliance dashboard, gets none.
  const wantsPatient = request.scopes.includes('launch/patient');
  const patient = wantsPatient ? ctx.data.patients.find((p) => p.patientId === body.patient) : undefined;
  if (user === undefined || (wantsPatient && patient === undefined)) {
    throw badRequest(wantsPatient ? 'Choose a user and a patient from the lists.' : 'Choose a user from the list.');
  }
  const simulation = { ...DEFAULT_SIMULATION, vendor: request.vendor };
  const context = patient === undefined ? { user: user.id, simulation } : { patient: patient.patientId, user: user.id, simulation };
  return redirectWithCode(ctx, request, grantFor(request, context, false));
}

/** `GET /auth/authorize` (EHR and standalone launch) and `POST /auth/authorize/decision` (the sign-in form). */
export function authorizeRoutes(ctx: SandboxContext): Router {
  const router = express.Router();
  router.get('/auth/authorize', (req, res) => {
    const params = new URLSearchParams(req.originalUrl.split('?')[1] ?? '');
    const parsed = parseAuthorizeRequest(ctx, params);
    if (!parsed.ok) {
      res.redirect(302, parsed.redirect);
    } else if (parsed.launch !== undefined) {
      res.redirect(302, answerEhrLaunch(ctx, parsed.request, parsed.launch));
    } else {
      showStandalonePage(ctx, req, res, parsed.request);
    }
  });
  router.post('/auth/authorize/decision', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
    res.redirect(303, decide(ctx, req));
  });
  return router;
}
