import type { RequestHandler, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { ZodType } from 'zod';
import { AppError, badRequest } from '../errors';
import { READ_LABELS } from '../chart/read-labels';
import type { Checklist } from '../content/checklist-schema';
import { loadChecklist } from '../content/content-packs';
import type { ChartSnapshotDeps } from '../chart-snapshot/chart-snapshots';
import { launchOf, requireCsrf, requireLaunch } from '../launch/session-guard';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';
import { appFilledAnswers, parseClinicianAnswers, keepAppFilled } from './checklist-answers';
import { MAX_TEXT_CHARS, answersForRecord, unconfirmedAreas } from './checklist-model';
import type { Discussion } from './discussion';
import { mayAccessDiscussion } from './discussion-access';
import { activeChecklistFlags, scenarioChoiceFor, scenarioOfDiscussion } from './discussion';
import { INDICATIONS, PROCEDURES } from '../content/content-schema';
import { discussionKeyOf } from './discussion-snapshot';
import type { DiscussionStore } from './discussion-store';
import { discussionView } from './discussion-view';
import { draftToChange, shownDraft, viewedDiscussion } from './current-discussion';
import type { SignerDeps } from './signer-guard';
import { permissionsOfLaunch, requireSigner } from './signer-guard';
import type { ContentApprovals } from '../content/content-approvals';
import type { AuditTrail } from '../audit/audit-trail';
import { discussionEntities, launchRecord } from '../audit/launch-audit';
import { attestationCheck, languagesOf } from './interpreter-rule';

/**
 * The consent-discussion checklist API of one launch (thin handlers: read input → one store call → the view).
 * Every route needs the launch's browser session; every change also needs the launch's CSRF token. The clinician is
 * always the launch's `fhirUser` and every time is the server's, whatever the body says.
 */
export interface ConsentDeps extends SignerDeps {
  store: LaunchSessionStore;
  /** Every change is recorded here, in the same transaction as the change. */
  audit: AuditTrail;
  discussions: DiscussionStore;
  /** The launch's chart snapshot (read once at the callback). */
  chart: ChartSnapshotDeps;
  appBaseUrl: string;
  /** Production: only approved content packs are handed out (config.env === 'production'). */
  approvedPacksOnly?: boolean;
  /** Which loaded packs a reviewer approved (the store's approvals). */
  content: ContentApprovals;
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
const removeNoteBody = z.strictObject({ version });
/** Notes get random UUIDs (the store's `crypto.randomUUID()`). */
const NOTE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const attestBody = z.strictObject({ version });
/** `null` (or left out) = the chart's reading of that dimension. */
const scenarioBody = z.strictObject({ version, indication: z.enum(INDICATIONS).nullable().optional(), procedure: z.enum(PROCEDURES).nullable().optional() });

function bodyOf<T>(schema: ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw badRequest('The request could not be read.', {
      details: { issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`) },
    });
  }
  return parsed.data;
}

/** The discussion as the page shows it, with what the signed-in user may do with it. */
async function respond(deps: ConsentDeps, res: Response, discussion: Discussion): Promise<void> {
  const permissions = await permissionsOfLaunch(deps, launchOf(res));
  res.set('Cache-Control', 'no-store').json(discussionView(loadChecklist(CHECKLIST_LANGUAGE), discussion, permissions));
}

function getHandler(deps: ConsentDeps): RequestHandler {
  return async (_req, res) => {
    await respond(deps, res, await viewedDiscussion(deps, launchOf(res)));
  };
}

function answersHandler(deps: ConsentDeps): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(answersBody, req.body);
    const checklist = loadChecklist(CHECKLIST_LANGUAGE);
    const answers = parseClinicianAnswers(checklist, body.answers);
    const draft = await draftToChange(deps, launchOf(res), body.version);
    const merged = keepAppFilled(checklist, answers, draft.answers);
    const saved = await deps.audit.together(
      (tx) => deps.discussions.on(tx).saveAnswers(draft.id, draft.version, merged),
      (d) => launchRecord(launchOf(res), 'checklist.saved', 'success', { entities: discussionEntities(d), detail: { version: d.version, answered: Object.keys(d.answers).length } }),
    );
    await respond(deps, res, saved);
  };
}

/**
 * The clinician's choice of what the handout is about (the Handout tab's two selects), saved with the discussion so
 * the preview, the PDF, the checklist items, the attestation and the note follow it. Only the dimensions that differ
 * from the chart's reading are kept.
 */
function scenarioHandler(deps: ConsentDeps): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(scenarioBody, req.body);
    const launch = launchOf(res);
    const draft = await draftToChange(deps, launch, body.version);
    const choice = scenarioChoiceFor(draft, body);
    const saved = await deps.audit.together(
      (tx) => deps.discussions.on(tx).chooseScenario(draft.id, draft.version, choice),
      (d) => {
        const inForce = scenarioOfDiscussion(d);
        return launchRecord(launch, 'scenario.chosen', 'success', {
          entities: discussionEntities(d),
          detail: { indication: inForce.indication, procedure: inForce.procedure, fromChart: d.scenarioChoice === undefined },
        });
      },
    );
    await respond(deps, res, saved);
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
    const saved = await deps.audit.together(
      (tx) => deps.discussions.on(tx).dismissFlag(draft.id, draft.version, dismissal),
      (d) => launchRecord(launch, 'flag.dismissed', 'success', { entities: [...discussionEntities(d), { type: 'TailoringFlag', id: flagId }] }),
    );
    await respond(deps, res, saved);
  };
}

function noteHandler(deps: ConsentDeps, now: () => Date): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(noteBody, req.body);
    const launch = launchOf(res);
    const draft = await draftToChange(deps, launch, body.version);
    const note = { text: body.text, by: discussionKeyOf(launch).clinician, at: now().toISOString() };
    const saved = await deps.audit.together(
      (tx) => deps.discussions.on(tx).addNote(draft.id, draft.version, note),
      (d) => launchRecord(launch, 'note.added', 'success', { entities: discussionEntities(d) }),
    );
    await respond(deps, res, saved);
  };
}

function removeNoteHandler(deps: ConsentDeps): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(removeNoteBody, req.body);
    const launch = launchOf(res);
    const draft = await draftToChange(deps, launch, body.version);
    const noteId = req.params.noteId;
    if (typeof noteId !== 'string' || !NOTE_ID.test(noteId)) {
      throw badRequest('That is not a note of this discussion.');
    }
    const saved = await deps.audit.together(
      (tx) => deps.discussions.on(tx).removeNote(draft.id, draft.version, noteId),
      (d) => launchRecord(launch, 'note.removed', 'success', { entities: discussionEntities(d) }),
    );
    await respond(deps, res, saved);
  };
}

/** The refusal's first sentence, naming the parts of the chart the clinician has not yet confirmed reviewing. */
function refusalMessage(count: number, unconfirmed: ReadonlyArray<{ read: string; label: string }>): string {
  const items = count === 0 ? 'The discussion cannot be completed yet.' : `The discussion cannot be completed yet: ${count} checklist item${count === 1 ? ' needs' : 's need'} attention.`;
  if (unconfirmed.length === 0) {
    return items;
  }
  const areas = unconfirmed.map((area) => area.label).join('; ');
  return `${items} Confirm that you reviewed yourself what the app could not read from the chart: ${areas}.`;
}

/**
 * Refuses (422, recorded in the audit trail) a discussion not complete enough to attest: a required item missing or
 * invalid, the interpreter rule broken, or an unchecked tailoring area not confirmed as reviewed by the clinician.
 */
async function refuseIfIncomplete(deps: ConsentDeps, launch: LaunchSession, checklist: Checklist, discussion: Discussion, attestedAt: Date): Promise<void> {
  const answers = { ...discussion.answers, ...appFilledAnswers(checklist, { attestedAt: attestedAt.toISOString() }) };
  const check = attestationCheck(checklist, answers, activeChecklistFlags(discussion), languagesOf(discussion), scenarioOfDiscussion(discussion));
  const unconfirmed = unconfirmedAreas(checklist, answers, discussion.uncheckedAreas)
    .map((area) => ({ read: area.read, label: READ_LABELS[area.read], text: area.text }));
  if (check.ok && unconfirmed.length === 0) {
    return;
  }
  const missing = check.ok ? [] : check.missing;
  const invalid = check.ok ? [] : check.invalid;
  const count = missing.length + invalid.length;
  await deps.audit.append(launchRecord(launch, 'discussion.refused', 'refused', {
    entities: discussionEntities(discussion),
    reason: count > 0 ? 'checklist_incomplete' : 'unchecked_areas_unconfirmed',
    detail: { missing: missing.length, invalid: invalid.length, unconfirmedAreas: unconfirmed.length },
  }));
  throw new AppError('unprocessable', refusalMessage(count, unconfirmed), {
    hint: 'Answer the items listed; everything entered so far is saved.',
    details: { missing, invalid, uncheckedAreas: unconfirmed },
  });
}

/**
 * Attestation: the server fills the time, checks every required item against the record as stored — each unchecked
 * tailoring area confirmed as reviewed by the clinician, and the interpreter rule ("not needed" for a patient whose
 * language is not the handout's needs a reason), included — and either freezes it or answers 422 naming what is
 * missing. A refusal changes nothing: it is checked against what the page was shown before anything is written, so
 * nothing entered is lost and the page's version stays right.
 */
function attestHandler(deps: ConsentDeps, now: () => Date): RequestHandler {
  return async (req, res) => {
    const body = bodyOf(attestBody, req.body);
    const launch = launchOf(res);
    const checklist = loadChecklist(CHECKLIST_LANGUAGE);
    const attestedAt = now();
    await refuseIfIncomplete(deps, launch, checklist, await shownDraft(deps, launch, body.version), attestedAt);
    const draft = await draftToChange(deps, launch, body.version);
    // The saved draft may differ from the one shown only by a chart re-read in between: check it again.
    await refuseIfIncomplete(deps, launch, checklist, draft, attestedAt);
    const answers = { ...draft.answers, ...appFilledAnswers(checklist, { attestedAt: attestedAt.toISOString() }) };
    const flags = activeChecklistFlags(draft);
    const attestation = { attestedAt, attestedBy: discussionKeyOf(launch).clinician, answers: answersForRecord(checklist, answers, flags, scenarioOfDiscussion(draft)) };
    const done = await deps.audit.together(
      (tx) => deps.discussions.on(tx).attest(draft.id, draft.version, attestation),
      (d) => launchRecord(launch, 'discussion.attested', 'success', { entities: discussionEntities(d), detail: { answered: Object.keys(d.answers).length } }),
    );
    await respond(deps, res, done);
  };
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
  router.put(`${BASE}/scenario`, launch, csrf, scenarioHandler(deps));
  router.post(`${BASE}/flags/:flagId/dismiss`, launch, csrf, dismissHandler(deps, now));
  router.post(`${BASE}/notes`, launch, csrf, noteHandler(deps, now));
  router.post(`${BASE}/notes/:noteId/remove`, launch, csrf, removeNoteHandler(deps));
  router.post(`${BASE}/attest`, launch, csrf, requireSigner(deps, 'attest'), attestHandler(deps, now));
  return router;
}
