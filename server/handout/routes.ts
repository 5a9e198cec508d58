import crypto from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { AuditTrail } from '../audit/audit-trail';
import { discussionEntities, launchRecord } from '../audit/launch-audit';
import { Router } from 'express';
import type { PatientContext } from '../chart/patient-context';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { chartSnapshotOf } from '../chart-snapshot/chart-snapshots';
import { viewedDiscussion } from '../consent/current-discussion';
import { chartScenarioOf, scenarioOfDiscussion } from '../consent/discussion';
import type { Discussion } from '../consent/discussion';
import { accessibleDiscussion } from '../consent/discussion-access';
import type { DiscussionStore } from '../consent/discussion-store';
import { frameAncestorsDirective } from '../http/security-headers';
import { launchOf, requireCsrf, requireLaunch } from '../launch/session-guard';
import type { LaunchSessionStore } from '../store/launch-sessions';
import { oralMme } from '../tailoring/mme';
import { loadTerminology } from '../tailoring/terminology';
import type { ContentApprovals } from '../content/content-approvals';
import { interpreterNoticeFor } from '../content/content-packs';
import { discussionTime, handoutInputFor, preferredLanguageOf, printOptionsFor } from './handout-document';
import type { LazyPdfRenderer } from './lazy-pdf-renderer';
import type { HandoutRenderInput } from './render-html';
import { printHandoutPdf } from './printed-pdf';
import { HANDOUT_CSP, renderHandoutCopyCss, renderHandoutHtml } from './render-html';

/**
 * The handout of the launch's discussion:
 *   GET /app/:launchId/handout            HTML preview (what is printed; its own CSP: no script, nothing loaded)
 *   GET /app/:launchId/handout.css        the print stylesheet of the app page's print-only copy of the preview
 *   GET /api/launches/:launchId/handout.pdf    the PDF, rendered server-side by the Chromium pool
 *   GET /api/launches/:launchId/handout-info   pack version, review status, readability grades, oral MME, unchecked
 *                                              tailoring areas, the language-help notice and its translation review
 *                                              (clinician only)
 * `?large=1` gives large print; `?discussionId=` reopens an earlier discussion of the same patient. What the handout is
 * about (indication, procedure) is the discussion's: the chart's, or the clinician's choice saved with it
 * (PUT /api/launches/:launchId/discussion/scenario) — a GET never changes it.
 */
export interface HandoutDeps {
  store: LaunchSessionStore;
  /** For the CSRF check of the one POST (Print pressed). */
  appBaseUrl: string;
  discussions: DiscussionStore;
  chart: ChartSnapshotDeps;
  pdf: LazyPdfRenderer;
  requireApprovedPacks: boolean;
  /** Which content the discussion prints and whether a reviewer approved it (the store's approvals, the archive). */
  content: ContentApprovals;
  /** Each preview and download is audited before it is sent (not sent when it cannot be recorded). */
  audit: AuditTrail;
  /** The EHR origins that frame the app (config.tenants[].frameOrigins): the preview is framed inside them too. */
  frameOrigins: readonly string[];
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

/** The one way the routes choose what to print: the discussion's content, approved where production needs it. */
async function handoutOf(deps: HandoutDeps, loaded: Loaded, query: Record<string, unknown>, printTarget: 'browser' | 'pdf'): Promise<HandoutRenderInput> {
  const printable = await deps.content.handoutToPrint(loaded.discussion.pack, printOptionsFor(loaded.discussion, deps.requireApprovedPacks));
  return handoutInputFor(loaded.discussion, loaded.context, printable, { largePrint: largePrint(query), printTarget });
}

function previewHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const loaded = await load(deps, res, req.query);
    const input = await handoutOf(deps, loaded, req.query, 'browser');
    await deps.audit.append(launchRecord(launchOf(res), 'handout.previewed', 'success', { entities: discussionEntities(loaded.discussion), detail: { largePrint: input.largePrint } }));
    res
      .set({ 'Content-Security-Policy': `${HANDOUT_CSP}; ${frameAncestorsDirective(deps.frameOrigins)}`, 'Cache-Control': 'no-store' })
      .type('html')
      .send(renderHandoutHtml(input));
  };
}

/**
 * The clinician pressed Print: recorded before the browser prints (the page prints only once this answers), so
 * every printed copy is in the audit trail, and an unapproved pack is refused here as it is for the PDF.
 */
function printedHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const loaded = await load(deps, res, req.query);
    const input = await handoutOf(deps, loaded, req.query, 'browser');
    await deps.audit.append(launchRecord(launchOf(res), 'handout.printed', 'success', {
      entities: discussionEntities(loaded.discussion),
      detail: { largePrint: input.largePrint, packVersion: input.pack.version, language: input.pack.language },
    }));
    res.status(204).set('Cache-Control', 'no-store').end();
  };
}

/** The copy's stylesheet carries the running header (the patient's name): never cached, like the preview. */
function copyStylesHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const input = await handoutOf(deps, await load(deps, res, req.query), req.query, 'browser');
    res.set('Cache-Control', 'no-store').type('css').send(renderHandoutCopyCss(input));
  };
}

function pdfHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const loaded = await load(deps, res, req.query);
    const { discussion } = loaded;
    const input = await handoutOf(deps, loaded, req.query, 'pdf');
    // The same discussion prints the same bytes, so a reprint can be checked against the hash in the note.
    const pdf = await printHandoutPdf(await deps.pdf.get(), input, discussionTime(discussion));
    await deps.audit.append(launchRecord(launchOf(res), 'handout.downloaded', 'success', {
      entities: discussionEntities(discussion),
      detail: { largePrint: input.largePrint, pdfSha256: crypto.createHash('sha256').update(pdf).digest('hex') },
    }));
    // No PHI in the file name: it ends up in download folders and browser history.
    const name = `itdd-pump-handout-${input.pack.language}-v${input.pack.version}-${input.date}${input.largePrint ? '-large-print' : ''}.pdf`;
    res.set({ 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' }).type('application/pdf').send(pdf);
  };
}


function infoHandler(deps: HandoutDeps): RequestHandler {
  return async (req, res) => {
    const { discussion, context } = await load(deps, res, req.query);
    // What this discussion prints, approved or not (never refused here: the page says whether it may be printed).
    const printable = await deps.content.handoutToPrint(discussion.pack, printOptionsFor(discussion, false));
    const { pack } = printable;
    const notice = interpreterNoticeFor(preferredLanguageOf(discussion, context));
    res.set('Cache-Control', 'no-store').json({
      pack: { id: pack.id, version: pack.version, language: pack.language, title: pack.title, review: pack.review, readability: pack.readability },
      interpreterNeeded: discussion.interpreterNeeded,
      // What the handout is about, and whether the clinician may still change it (a draft, at the version shown).
      scenario: { fromChart: chartScenarioOf(discussion), inForce: scenarioOfDiscussion(discussion), chosen: discussion.scenarioChoice ?? {} },
      discussion: { status: discussion.status, version: discussion.version },
      // What the tailoring could not check, so the clinician reviews it before the handout is given.
      uncheckedAreas: discussion.uncheckedAreas.map((area) => ({ read: area.read, state: area.state, checks: area.checks, text: area.text })),
      // The language-help notice printed for this patient and whether a qualified translator has signed it off.
      languageNotice: notice === undefined ? null : { language: notice.language, name: notice.name, text: notice.text, dir: notice.dir, review: notice.review },
      printable: !deps.requireApprovedPacks || printable.approval !== undefined,
      oralMme: oralMme(context, loadTerminology()) ?? null,
    });
  };
}

export function handoutRoutes(deps: HandoutDeps): Router {
  const router = Router();
  const launch = requireLaunch(deps.store);
  router.get('/app/:launchId/handout', launch, previewHandler(deps));
  router.get('/app/:launchId/handout.css', launch, copyStylesHandler(deps));
  router.get('/api/launches/:launchId/handout.pdf', launch, pdfHandler(deps));
  router.get('/api/launches/:launchId/handout-info', launch, infoHandler(deps));
  router.post('/api/launches/:launchId/handout/printed', launch, requireCsrf(deps.appBaseUrl), printedHandler(deps));
  return router;
}
