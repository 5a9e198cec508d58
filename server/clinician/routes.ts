import type { RequestHandler } from 'express';
import { Router } from 'express';
import { html, renderPage } from '../http/html';
import { describeReadState } from '../chart/read-labels';
import { loadPatientContext } from './chart-service';
import type { ChartReadName } from '../chart/read-chart';
import type { AccessTokenDeps } from '../launch/access-token';
import { launchOf, requireCsrf, requireLaunch } from '../launch/session-guard';
import type { LaunchSessionStore } from '../store/launch-sessions';

/**
 * The clinician's view of one launch: an HTML shell (no patient data in it) and a JSON API the client renders.
 */
export interface ClinicianDeps {
  store: LaunchSessionStore;
  tokens: AccessTokenDeps;
  appBaseUrl: string;
}

const shellHandler: RequestHandler = (_req, res) => {
  const launch = launchOf(res);
  res.set('Cache-Control', 'no-store').type('html').send(
    renderPage({
      title: 'Patient',
      meta: { 'itdd-launch': launch.launchId, 'csrf-token': launch.csrfToken },
      scripts: ['/assets/app.js'],
      body: html`<div id="app" aria-live="polite"><p class="loading">Reading the chart…</p></div>`,
    }),
  );
};

function contextHandler(deps: ClinicianDeps): RequestHandler {
  return async (_req, res) => {
    const launch = launchOf(res);
    const context = await loadPatientContext(deps.tokens, launch);
    const readNotes = (Object.entries(context.reads) as [ChartReadName, (typeof context.reads)[ChartReadName]][])
      .filter(([, state]) => state.state !== 'ok')
      .map(([name, state]) => ({ read: name, state: state.state, text: describeReadState(name, state) }));
    res.set('Cache-Control', 'no-store').json({
      showPatientBanner: launch.context.needPatientBanner !== false,
      user: { fhirUser: launch.fhirUser ?? null, name: launch.context.userName ?? null },
      context,
      readNotes,
    });
  };
}

function endHandler(store: LaunchSessionStore): RequestHandler {
  return async (_req, res) => {
    await store.delete(launchOf(res).launchId);
    res.status(204).end();
  };
}

export function clinicianRoutes(deps: ClinicianDeps): Router {
  const router = Router();
  const launch = requireLaunch(deps.store);
  router.get('/app/:launchId', launch, shellHandler);
  router.get('/api/launches/:launchId/context', launch, contextHandler(deps));
  router.post('/api/launches/:launchId/end', launch, requireCsrf(deps.appBaseUrl), endHandler(deps.store));
  return router;
}
