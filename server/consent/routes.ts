import type { RequestHandler, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { ZodType } from 'zod';
import { AppError, badRequest } from '../errors';
import type { Checklist } from '../content/checklist-schema';
import { loadChecklist } from '../content/content-packs';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { launchOf, requireCsrf, requireLaunch } from '../launch/session-guard';
import type { LaunchSessionStore } from '../store/launch-sessions';
import { appFilledAnswers, parseClinicianAnswers, keepAppFilled } from './checklist-answers';
import { MAX_TEXT_CHARS, answersForRecord, validateForAttestation } from './checklist-model';
import type { Discussion } from './discussion';
import { mayAccessDiscussion } from './discussion-access';
import { activeChecklistFlags } from './discussion';
import { discussionKeyOf } from './discussion-snapshot';
import type { DiscussionStore } from './discussion-store';
import { discussionView } from './discussion-view';
import { draftToChange, shownDraft, viewedDiscussion } from './current-discussion';

/**
 * The consent-discussion checklist API of one launch (thin handlers: read input → one store call → the view).
 * Every route needs the launch's browser session; every change also needs the launch's CSRF token. The clinician is
 * always the launch's `fhirUser` and every time is the server's, whatever the body says.
 */
export interface ConsentDeps {
  store: LaunchSessionStore;
  discussions: DiscussionStore;
  /** The launch's chart snapshot (read once at the callback). */
  chart: ChartSnapshotDeps;
  appBaseUrl: string;
  /** Production: only approved content packs are handed out (config.env === 'production'). */
  approvedPacksOnly?: boolean;
  /** The clock; tests pass their own. */
  now?: () => Date;
}

const BASE = '/api/launches/:launchId/discussion';
/** The checklist is clinician-facing and shipped in English; the handout follows the patient's language. */
const CHECKLIST_LANGUAGE = 'en';
const FLAG_ID = /^[a-z0-9]+(?:[-.][a-z0-9]+)*$/;

const version = z.number().int().min(0).max(2_147_483_647);
const answersBody = z.strictObject({ version, answers: z.unknown() });
const dismissBody = z.strictObject({ version, reason: z.string().trim().min(1).max(500) });
const noteBody = z.strictObject({ version, text: z.string().trim().min(1).max(MAX_TEXT_CHARS) });
const attestBody = z.strictObject({ version });

function bodyOf<T>(schema: ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw badRequest('The request could not be read.', {
      details: { issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return parsed.data;
}

function respond(res: Response, discussion: Discussion): void {
  res.set('Cache-Control', 'no-store').json(discussionView(loadChecklist(CHECKLIST_LANGUAGE), discussion));
}

function getHandler(deps: ConsentDeps): RequestHandler {
  return async (_req, res) => {
    respond(res, await viewedDiscussion(deps, launchOf(res)));
  };
}

function answersHandler(deps: ConsentDeps): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(answersBody, req.body);
    const checklist = loadChecklist(CHECKLIST_LANGUAGE);
    const answers = parseClinicianAnswers(checklist, body.answers);
    const draft = await draftToChange(deps, launchOf(res), body.version);
    const merged = keepAppFilled(checklist, answers, draft.answers);
    respond(res, await deps.discussions.saveAnswers(draft.id, draft.version, merged));
  };
}

function dismissHandler(deps: ConsentDeps, now: () => Date): RequestHandler {
  return async (req, res) => {
    const flagId = req.params.flagId;
    if (typeof flagId !== 'string' || flagId.length > 100 || !FLAG_ID.test(flagId)) {
      throw badRequest('That is not a tailoring flag id.');
    }
    const body = bodyOf(dismissBody, req.body);
    const launch = launchOf(res);
    const draft = await draftToChange(deps, launch, body.version);
    const dismissal = { flagId, reason: body.reason, by: discussionKeyOf(launch).clinician, at: now().toISOString() };
    respond(res, await deps.discussions.dismissFlag(draft.id, draft.version, dismissal));
  };
}

function noteHandler(deps: ConsentDeps, now: () => Date): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(noteBody, req.body);
    const launch = launchOf(res);
    const draft = await draftToChange(deps, launch, body.version);
    const note = { text: body.text, by: discussionKeyOf(launch).clinician, at: now().toISOString() };
    respond(res, await deps.discussions.addNote(draft.id, draft.version, note));
  };
}

/**
 * Attestation: the server fills the time, checks every required item against the record as stored and either
 * freezes it or answers 422 naming what is missing (nothing is changed then, so nothing entered is lost).
 */
function attestHandler(deps: ConsentDeps, now: () => Date): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(attestBody, req.body);
    const launch = launchOf(res);
    // Checked against what the page was shown before anything is written: a refusal changes nothing.
    const shown = await shownDraft(deps, launch, body.version);
    const checklist = loadChecklist(CHECKLIST_LANGUAGE);
    const attestedAt = now();
    const refusal = attestationRefusal(checklist, shown, attestedAt);
    if (refusal !== undefined) {
      throw refusal;
    }
    const draft = await draftToChange(deps, launch, body.version);
    const answers = { ...draft.answers, ...appFilledAnswers(checklist, { attestedAt: attestedAt.toISOString() }) };
    const flags = activeChecklistFlags(draft);
    // The saved draft may differ from the one shown only by a chart re-read in between: check it again.
    const late = attestationRefusal(checklist, draft, attestedAt);
    if (late !== undefined) {
      throw late;
    }
    const attestation = { attestedAt, attestedBy: discussionKeyOf(launch).clinician, answers: answersForRecord(checklist, answers, flags) };
    respond(res, await deps.discussions.attest(draft.id, draft.version, attestation));
  };
}

/** The 422 for a discussion that is not complete enough to attest, if it is not. */
function attestationRefusal(checklist: Checklist, discussion: Discussion, attestedAt: Date): AppError | undefined {
  const answers = { ...discussion.answers, ...appFilledAnswers(checklist, { attestedAt: attestedAt.toISOString() }) };
  const check = validateForAttestation(checklist, answers, activeChecklistFlags(discussion));
  if (check.ok) {
    return undefined;
  }
  const count = check.missing.length + check.invalid.length;
  return new AppError('unprocessable', `The discussion cannot be completed yet: ${count} checklist item${count === 1 ? ' needs' : 's need'} attention.`, {
    hint: 'Answer the items listed; everything entered so far is saved.',
    details: { missing: check.missing, invalid: check.invalid },
  });
}

/** Earlier discussions of this patient on this EHR (newest first), to reopen, reprint or check their filing. */
function listHandler(deps: ConsentDeps): RequestHandler {
  return async (_req, res) => {
    const launch = launchOf(res);
    const all = await deps.discussions.listForPatient(launch.tenantId, launch.patientId);
    res.set('Cache-Control', 'no-store').json(
      all.filter((d) => mayAccessDiscussion(launch, d, 'view')).map((d) => ({
        id: d.id,
        status: d.status,
        createdAt: d.createdAt.toISOString(),
        attestedAt: d.attestedAt?.toISOString() ?? null,
        clinician: d.clinician.name ?? d.clinician.fhirUser,
        pack: d.pack,
        encounterId: d.encounterId ?? null,
      })),
    );
  };
}

export function consentRoutes(deps: ConsentDeps): Router {
  const router = Router();
  const now = deps.now ?? ((): Date => new Date());
  const launch = requireLaunch(deps.store);
  const csrf = requireCsrf(deps.appBaseUrl);
  router.get(BASE, launch, getHandler(deps));
  router.get('/api/launches/:launchId/discussions', launch, listHandler(deps));
  router.put(`${BASE}/answers`, launch, csrf, answersHandler(deps));
  router.post(`${BASE}/flags/:flagId/dismiss`, launch, csrf, dismissHandler(deps, now));
  router.post(`${BASE}/notes`, launch, csrf, noteHandler(deps, now));
  router.post(`${BASE}/attest`, launch, csrf, attestHandler(deps, now));
  return router;
}
