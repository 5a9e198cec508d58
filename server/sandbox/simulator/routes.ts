import express from 'express';
import type { Request, Response, Router } from 'express';
import { forbidden, notFound } from '../../errors';
import type { SandboxContext } from '../context';
import { isCrossSitePost } from '../cookies';
import { sendHtml } from '../html';
import { LAUNCH_TTL_MS, randomToken } from '../state';
import type { SandboxVendor } from '../types';
import { SANDBOX_CSS, SIMULATOR_JS } from './assets';
import { parseLaunchInput } from './launch-input';
import { renderFramePage, renderSimulatorPage } from './page';

const PREFERRED_USER = 'itdd-dr-rivera';

/**
 * The app's launch URL with `iss` and `launch`, as an EHR opens it (app-launch.html#launch-app-ehr-launch); `iss` is
 * the chosen vendor's FHIR base, so the app treats the launch as coming from that tenant.
 */
function appLaunchUrl(ctx: SandboxContext, launchId: string, vendor: SandboxVendor): string {
  const url = new URL(ctx.appClient.launchUrl);
  url.searchParams.set('iss', ctx.fhirBaseUrls[vendor]);
  url.searchParams.set('launch', launchId);
  return url.toString();
}

function showSimulator(ctx: SandboxContext, res: Response): void {
  const html = renderSimulatorPage({
    appName: ctx.appClient.clientId,
    practitioners: ctx.data.practitioners,
    patients: ctx.data.patients,
    failableTypes: [...ctx.servedTypes].sort(),
    defaultUser: PREFERRED_USER,
  });
  sendHtml(res, 200, html);
}

/** Creates a launch token for the app and sends the browser (or an integration test) to it. */
function launch(ctx: SandboxContext, req: Request, res: Response): void {
  if (isCrossSitePost(req.get('sec-fetch-site'))) {
    throw forbidden('Launches can only be started from the sandbox EHR page.');
  }
  const context = parseLaunchInput(ctx, req.body);
  const launchId = randomToken();
  ctx.state.launches.set(launchId, { clientId: ctx.appClient.clientId, context }, LAUNCH_TTL_MS);
  const launchUrl = appLaunchUrl(ctx, launchId, context.simulation.vendor);
  const frameUrl = `${ctx.baseUrl}/simulator/frame/${launchId}`;
  if (req.accepts(['html', 'json']) === 'json') {
    res.setHeader('Cache-Control', 'no-store').json({ launchUrl, ...(context.simulation.embed ? { frameUrl } : {}) });
    return;
  }
  res.redirect(303, context.simulation.embed ? frameUrl : launchUrl);
}

function showFrame(ctx: SandboxContext, req: Request, res: Response): void {
  const launchId = String(req.params.launch);
  const record = ctx.state.launches.get(launchId);
  if (record === undefined) {
    throw notFound('This launch has expired. Launch again from the sandbox EHR.');
  }
  const { patient, user } = record.context;
  const patientName = ctx.data.patients.find((p) => p.patientId === patient)?.name ?? '(no name)';
  const userName = ctx.data.practitioners.find((p) => p.id === user)?.name ?? user;
  sendHtml(res, 200, renderFramePage(patientName, userName, appLaunchUrl(ctx, launchId, record.context.simulation.vendor)));
}

/** The EHR simulator: `GET /`, `POST /simulator/launch`, `GET /simulator/frame/:launch` and the page assets. */
export function simulatorRoutes(ctx: SandboxContext): Router {
  const router = express.Router();
  router.get('/', (_req, res) => showSimulator(ctx, res));
  router.get('/sandbox/sandbox.css', (_req, res) => {
    res.type('text/css').send(SANDBOX_CSS);
  });
  router.get('/sandbox/simulator.js', (_req, res) => {
    res.type('text/javascript').send(SIMULATOR_JS);
  });
  router.post(
    '/simulator/launch',
    express.urlencoded({ extended: false, limit: '16kb' }),
    express.json({ limit: '16kb' }),
    (req, res) => launch(ctx, req, res),
  );
  router.get('/simulator/frame/:launch', (req, res) => showFrame(ctx, req, res));
  return router;
}
