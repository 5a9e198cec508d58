import type { RequestHandler } from 'express';
import { Router } from 'express';
import { html, renderPage } from '../http/html';
import { describeReadState } from '../chart/read-labels';
import type { ContentApprovals } from '../content/content-approvals';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { chartSnapshotOf, takeChartSnapshot } from '../chart-snapshot/chart-snapshots';
import { diffSnapshots } from '../chart-snapshot/snapshot-diff';
import { followChart } from '../consent/current-discussion';
import { clinicianNameOf } from '../consent/discussion-snapshot';
import type { DiscussionStore } from '../consent/discussion-store';
import { tailor } from '../tailoring/engine';
import type { ChartReadName } from '../chart/read-chart';
import type { PatientContext, ReadState } from '../chart/patient-context';
import { launchOf, requireCsrf, requireLaunch } from '../launch/session-guard';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';

/**
 * The clinician's view of one launch: the app page (carrying the chart view's first data) and a JSON API the client renders.
 */
export interface ClinicianDeps {
  store: LaunchSessionStore;
  chart: ChartSnapshotDeps;
  discussions: DiscussionStore;
  appBaseUrl: string;
  /** Production: only approved content packs are handed out. */
  approvedPacksOnly: boolean;
  content: ContentApprovals;
}

/** A chart read that was refused, failed or is outside the launch's context, with the sentence the clinician sees. */
export interface ChartReadNote {
  read: ChartReadName;
  state: 'not-authorized' | 'failed' | 'not-in-context';
  text: string;
}

/** The chart view's data: what `/context` answers and what the app page carries for its first render. */
export interface ChartView {
  showPatientBanner: boolean;
  user: { fhirUser: string | null; name: string | null };
  context: PatientContext;
  readNotes: ChartReadNote[];
  chartRead: { readAt: string; sha256: string };
}

async function contextView(deps: ClinicianDeps, launch: LaunchSession): Promise<ChartView> {
  const { context, readAt, sha256 } = await chartSnapshotOf(deps.chart, launch);
  const readNotes = (Object.entries(context.reads) as [ChartReadName, ReadState][]).flatMap(([read, state]): ChartReadNote[] => {
    const text = describeReadState(read, state);
    return state.state === 'ok' || text === undefined ? [] : [{ read, state: state.state, text }];
  });
  return {
    showPatientBanner: launch.context.needPatientBanner !== false,
    // The id_token's name when it has one; else the Practitioner record read with the chart (the SMART App
    // Launcher sends no name claim, and Epic often does not).
    user: { fhirUser: launch.fhirUser ?? null, name: clinicianNameOf(launch, context) ?? null },
    context,
    readNotes,
    chartRead: { readAt: readAt.toISOString(), sha256 },
  };
}

/**
 * The app page. It carries the chart view's data from the launch's snapshot (JSON in a quoted attribute, escaped
 * like any chart string: the page has no inline script), so the first view needs no API round trip. The page is
 * `no-store`, as every answer with patient data is.
 */
function shellHandler(deps: ClinicianDeps): RequestHandler {
  return async (_req, res) => {
    const launch = launchOf(res);
    const view = JSON.stringify(await contextView(deps, launch));
    res.set('Cache-Control', 'no-store').type('html').send(
      renderPage({
        title: 'Patient',
        meta: { 'itdd-launch': launch.launchId, 'csrf-token': launch.csrfToken },
        scripts: ['/assets/app.js'],
        body: html`<main id="app" aria-label="ITDD Consent" aria-live="polite" data-context="${view}"><p class="loading">Reading the chart…</p></main>`,
      }),
    );
  };
}

function contextHandler(deps: ClinicianDeps): RequestHandler {
  return async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await contextView(deps, launchOf(res)));
  };
}

/**
 * "Refresh from the chart": the one deliberate re-read. The new read replaces the launch's snapshot, the open draft
 * follows it (as a relaunch would), and the answer says what changed since the last read.
 */
function refreshHandler(deps: ClinicianDeps): RequestHandler {
  return async (_req, res) => {
    const launch = launchOf(res);
    const before = await chartSnapshotOf(deps.chart, launch);
    const after = await takeChartSnapshot(deps.chart, launch);
    if (launch.fhirUser !== undefined) {
      await followChart({ discussions: deps.discussions, chart: deps.chart, approvedPacksOnly: deps.approvedPacksOnly, content: deps.content }, launch);
    }
    const changes = diffSnapshots(
      { context: before.context, tailoring: tailor(before.context) },
      { context: after.context, tailoring: tailor(after.context) },
    );
    res.set('Cache-Control', 'no-store').json({
      previousRead: before.readAt.toISOString(),
      chartRead: { readAt: after.readAt.toISOString(), sha256: after.sha256 },
      changes,
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
  router.get('/app/:launchId', launch, shellHandler(deps));
  router.get('/api/launches/:launchId/context', launch, contextHandler(deps));
  router.post('/api/launches/:launchId/chart/refresh', launch, requireCsrf(deps.appBaseUrl), refreshHandler(deps));
  router.post('/api/launches/:launchId/end', launch, requireCsrf(deps.appBaseUrl), endHandler(deps.store));
  return router;
}
