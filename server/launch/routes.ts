import type { Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { AuditTrail } from '../audit/audit-trail';
import { launchRecord } from '../audit/launch-audit';
import { mayReadCompliance } from '../config';
import type { AppError } from '../errors';
import { badRequest, forbidden, notFound, reasonOf } from '../errors';
import { launchHandle } from '../audit/audit-record';
import { singleParam } from '../http/params';
import { browserSessionId, ensureBrowserSession, issueBrowserSession } from './browser-session';
import { tenantForIss } from './iss-allowlist';
import type { LaunchPurpose, LaunchSession } from '../store/launch-sessions';
import type { LaunchDeps } from './launch-service';
import { beginLaunch, completeLaunch } from './launch-service';

/**
 * SMART launch routes. Handlers only read input, call the launch service and redirect.
 *   GET /launch?iss&launch   EHR launch; /launch.html?iss&launch (the registered launch URL) is the same
 *   GET /standalone?tenant   standalone launch (patient picked at the EHR)
 *   GET /compliance/launch?tenant   the compliance dashboard's standalone launch (`openid fhirUser`, no patient)
 *   GET /callback            redirect_uri
 *   GET /.well-known/jwks.json   the app's public keys (private_key_jwt)
 */
function ehrLaunchHandler(deps: LaunchRouteDeps): RequestHandler {
  return async (req: Request, res: Response) => {
    const iss = singleParam(req, 'iss');
    const launch = singleParam(req, 'launch');
    if (iss === undefined || launch === undefined) {
      throw badRequest('This page must be opened from a patient\'s chart in the EHR.', {
        hint: `The launch is missing ${iss === undefined ? 'the EHR address (iss)' : 'the launch context (launch)'}. Open the patient's chart and launch ITDD Consent from there.`,
        details: { reason: iss === undefined ? 'iss_missing' : 'launch_missing' },
      });
    }
    let url: string;
    try {
      const tenant = tenantForIss(deps.config.tenants, iss);
      url = await beginLaunch(deps, { tenant, launch, browserSessionId: ensureBrowserSession(req, res) });
    } catch (error) {
      await deps.audit.append({ action: 'launch.rejected', outcome: 'refused', reason: reasonOf(error) });
      throw error;
    }
    res.redirect(303, url);
  };
}

function standaloneHandler(deps: LaunchDeps, purpose: LaunchPurpose): RequestHandler {
  return async (req: Request, res: Response) => {
    const tenantId = singleParam(req, 'tenant', 40);
    const tenant = deps.config.tenants.find((t) => t.id === tenantId);
    if (tenant === undefined) {
      throw notFound('There is no EHR with that name in this app\'s configuration.', { details: { reason: 'tenant_unknown' } });
    }
    const browserSession = ensureBrowserSession(req, res);
    res.redirect(303, await beginLaunch(deps, { tenant, launch: undefined, browserSessionId: browserSession, purpose }));
  };
}

/** The dashboard's path for a compliance session. */
export const complianceDashboardPath = (launchId: string): string => `/compliance/${launchId}`;

/**
 * A compliance launch lands on the dashboard only for a user on the tenant's compliance list; anyone else gets a
 * 403 page, a `compliance.refused` row, and no session (its tokens are deleted at once).
 */
async function landCompliance(deps: LaunchRouteDeps, session: LaunchSession): Promise<string> {
  const tenant = deps.config.tenants.find((t) => t.id === session.tenantId);
  const who = { tenantId: session.tenantId, ...(session.fhirUser === undefined ? {} : { actor: session.fhirUser }), launch: launchHandle(session.launchId) };
  if (tenant === undefined || !mayReadCompliance(tenant, session.fhirUser)) {
    await deps.store.delete(session.launchId);
    await deps.audit.append({ action: 'compliance.refused', outcome: 'refused', reason: 'not_compliance_user', ...who });
    throw complianceRefusal();
  }
  await deps.audit.append({ action: 'launch.accepted', outcome: 'success', detail: { purpose: 'compliance' }, ...who });
  return complianceDashboardPath(session.launchId);
}

/** The one refusal of the dashboard, in words for the person signed in. */
export function complianceRefusal(): AppError {
  return forbidden('The compliance dashboard is only for the compliance team.', {
    hint: 'Your EHR user is not on this app\'s list of compliance users for this EHR. If you need access, ask your compliance officer to have you added; your attempt has been recorded.',
    details: { reason: 'not_compliance_user' },
  });
}

/**
 * Launch routes' dependencies. `readChart` runs, awaited, once a launch has completed and before the browser is sent
 * on (the one chart read of the launch, so the first page is served from it); `afterLaunch` then runs (not awaited),
 * e.g. resuming filings.
 */
export interface LaunchRouteDeps extends LaunchDeps {
  /** Every launch is audited: accepted (who, which patient) or rejected (the reason code). */
  audit: AuditTrail;
  readChart?: (session: LaunchSession) => Promise<void>;
  afterLaunch?: (session: LaunchSession) => void;
}

function callbackHandler(deps: LaunchRouteDeps): RequestHandler {
  return async (req: Request, res: Response) => {
    let session: LaunchSession;
    try {
      session = await completeLaunch(deps, {
        browserSessionId: browserSessionId(req),
        state: singleParam(req, 'state', 512),
        code: singleParam(req, 'code', 4096),
        error: singleParam(req, 'error', 200),
        errorDescription: singleParam(req, 'error_description', 1000),
        iss: singleParam(req, 'iss', 500),
      });
    } catch (error) {
      // Who and which patient are unknown until the launch completes: the row says that it failed and why.
      await deps.audit.append({ action: 'launch.rejected', outcome: 'refused', reason: reasonOf(error) });
      throw error;
    }
    // A fresh browser session after the sign-in (no session fixation); this browser's launches move with it.
    const fresh = issueBrowserSession(res);
    await deps.store.rebindBrowser(session.browserSessionId, fresh);
    session = { ...session, browserSessionId: fresh };
    if (session.purpose === 'compliance') {
      res.redirect(303, await landCompliance(deps, session));
      return;
    }
    await deps.audit.append(launchRecord(session, 'launch.accepted', 'success', { ...(session.encounterId === undefined ? {} : { entities: [{ type: 'Encounter', id: session.encounterId }] }) }));
    await deps.readChart?.(session);
    deps.afterLaunch?.(session);
    res.redirect(303, `/app/${session.launchId}`);
  };
}

export function launchRoutes(deps: LaunchRouteDeps): Router {
  const router = Router();
  router.get('/launch', ehrLaunchHandler(deps));
  router.get('/launch.html', ehrLaunchHandler(deps));
  router.get('/standalone', standaloneHandler(deps, 'clinical'));
  router.get('/compliance/launch', standaloneHandler(deps, 'compliance'));
  router.get('/callback', callbackHandler(deps));
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').json({ keys: [deps.signingKey.publicJwk] });
  });
  return router;
}
