import type { RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { PatientContext } from '../chart/patient-context';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { chartSnapshotOf } from '../chart-snapshot/chart-snapshots';
import { viewedDiscussion } from '../consent/current-discussion';
import type { Discussion } from '../consent/discussion';
import { accessibleDiscussion } from '../consent/discussion-access';
import type { DiscussionStore } from '../consent/discussion-store';
import { launchOf, requireLaunch } from '../launch/session-guard';
import type { LaunchSessionStore } from '../store/launch-sessions';
import { oralMme } from '../tailoring/mme';
import { loadTerminology } from '../tailoring/terminology';
import { interpreterNoticeFor, loadHandoutPack } from '../content/content-packs';
import { parseScenarioQuery } from '../content/scenario';
import { handoutInputFor, preferredLanguageOf } from './handout-document';
import type { LazyPdfRenderer } from './lazy-pdf-renderer';
import { HANDOUT_CSP, handoutFooterText, handoutHeaderText, renderHandoutHtml } from './render-html';

/**
 * The handout of the launch's discussion:
 *   GET /app/:launchId/handout            HTML preview (what is printed; its own CSP: no script, nothing loaded)
 *   GET /api/launches/:launchId/handout.pdf    the PDF, rendered server-side by the Chromium pool
 *   GET /api/launches/:launchId/handout-info   pack version, review status, readability grades, oral MME, the
 *                                              language-help notice and its translation review (clinician only)
 * `?large=1` gives large print; `?indication=` / `?procedure=` change what the handout is about (parseScenarioQuery);
 * `?discussionId=` reopens an earlier discussion of the same patient.
 */
export interface HandoutDeps {
  store: LaunchSessionStore;
  discussions: DiscussionStore;
  chart: ChartSnapshotDeps;
  pdf: LazyPdfRenderer;
  requireApprovedPacks: boolean;
}

interface Loaded {
  discussion: Discussion;
  context: PatientContext;
}

/**
 * The launch's current discussion, or — to reopen and reprint an earlier one — `?discussionId=`, which must be of
 * this EHR and this patient (a launch never reaches another patient's records).
 */
async function discussionFor(deps: HandoutDeps, res: Response, query: Record<string, unknown>): Promise<Discussion> {
  const launch = launchOf(res);
  const asked = query.discussionId;
  if (asked === undefined) {
    return viewedDiscussion({ ...deps, approvedPacksOnly: deps.requireApprovedPacks }, launch);
  }
  const found = typeof asked === 'string' && UUID.test(asked) ? await deps.discussions.get(asked) : undefined;
  return accessibleDiscussion(launch, found, 'view');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function load(deps: HandoutDeps, res: Response, query: Record<string, unknown>): Promise<Loaded> {
  const [discussion, snapshot] = await Promise.all([discussionFor(deps, res, query), chartSnapshotOf(deps.chart, launchOf(res))]);
  return { discussion, context: snapshot.context };
}

const largePrint = (query: unknown): boolean => (query as Record<string, unknown>).large === '1';

function previewHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const { discussion, context } = await load(deps, res, req.query);
    const input = handoutInputFor(discussion, context, { largePrint: largePrint(req.query), requireApproved: deps.requireApprovedPacks, printTarget: 'browser', scenario: parseScenarioQuery(req.query) });
    res
      .set({ 'Content-Security-Policy': `${HANDOUT_CSP}; frame-ancestors 'self'`, 'Cache-Control': 'no-store' })
      .type('html')
      .send(renderHandoutHtml(input));
  };
}

function pdfHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const { discussion, context } = await load(deps, res, req.query);
    const input = handoutInputFor(discussion, context, { largePrint: largePrint(req.query), requireApproved: deps.requireApprovedPacks, printTarget: 'pdf', scenario: parseScenarioQuery(req.query) });
    const renderer = await deps.pdf.get();
    const { pdf } = await renderer.render(renderHandoutHtml(input), {
      headerText: handoutHeaderText(input),
      footerText: handoutFooterText(input.pack, input.clinic),
      language: input.pack.language,
      largePrint: input.largePrint,
    });
    // No PHI in the file name: it ends up in download folders and browser history.
    const name = `itdd-pump-handout-${input.pack.language}-v${input.pack.version}-${input.date}${input.largePrint ? '-large-print' : ''}.pdf`;
    res.set({ 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' }).type('application/pdf').send(pdf);
  };
}


function infoHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const { discussion, context } = await load(deps, res, req.query);
    const pack = loadHandoutPack(discussion.pack.language);
    const notice = interpreterNoticeFor(preferredLanguageOf(discussion, context));
    res.set('Cache-Control', 'no-store').json({
      pack: { id: pack.id, version: pack.version, language: pack.language, title: pack.title, review: pack.review, readability: pack.readability },
      interpreterNeeded: discussion.interpreterNeeded,
      // The language-help notice printed for this patient and whether a qualified translator has signed it off.
      languageNotice: notice === undefined ? null : { language: notice.language, name: notice.name, text: notice.text, dir: notice.dir, review: notice.review },
      printable: !deps.requireApprovedPacks || pack.review.status === 'approved',
      oralMme: oralMme(context, loadTerminology()) ?? null,
    });
  };
}

export function handoutRoutes(deps: HandoutDeps): Router {
  const router = Router();
  const launch = requireLaunch(deps.store);
  router.get('/app/:launchId/handout', launch, previewHandler(deps));
  router.get('/api/launches/:launchId/handout.pdf', launch, pdfHandler(deps));
  router.get('/api/launches/:launchId/handout-info', launch, infoHandler(deps));
  return router;
}
