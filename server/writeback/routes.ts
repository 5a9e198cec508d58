import type { RequestHandler, Response } from 'express';
import { Router } from 'express';
import { z } from 'zod';
import type { DiscussionStore } from '../consent/discussion-store';
import { discussionKeyOf } from '../consent/discussion-snapshot';
import { badRequest, notFound } from '../errors';
import { launchOf, requireCsrf, requireLaunch } from '../launch/session-guard';
import type { LaunchSession, LaunchSessionStore } from '../store/launch-sessions';
import type { FilingHandle, FilingService } from './filing';
import type { WriteIntent } from './ledger';
import { isFiled, isFinal } from './ledger-states';
import type { SignerDeps } from '../consent/signer-guard';
import { permissionsOfLaunch, requireSigner } from '../consent/signer-guard';
import type { Permissions } from '../consent/signer-role';
import { launchRecord } from '../audit/launch-audit';

/**
 * Filing routes of one launch (thin: read input → one service call → the view). Filing answers within a short
 * wait (a quick EHR is done by then) and carries on in the background; the page polls the state.
 *   POST /api/launches/:launchId/discussion/file                       start or join the filing (CSRF)
 *   GET  /api/launches/:launchId/discussion/filing?discussionId=       the current state
 *   GET  /api/launches/:launchId/discussion/note-preview?discussionId= the note exactly as it would be filed
 *   POST /api/launches/:launchId/discussion/filing/entered-in-error    mark the filed note in error with a reason, maybe replace (CSRF)
 */
export interface FilingRouteDeps extends SignerDeps {
  store: LaunchSessionStore;
  discussions: DiscussionStore;
  filing: FilingService;
  appBaseUrl: string;
  /** How long a POST waits for the filing to finish before answering 202 (default 8 s). */
  waitMs?: number;
}

export interface FilingView {
  discussionId: string;
  state: WriteIntent['state'] | 'none';
  final: boolean;
  filed: boolean;
  intentId?: string;
  documentId?: string;
  attempts?: number;
  lastError?: { code: string; message: string };
  /** The EHR's own words when it refused the note. */
  ehrMessage?: string;
  relaunchNeeded?: boolean;
  nextAttemptAt?: string;
  replacesDocumentId?: string;
  /** Whether this EHR lets the app mark the filed note entered-in-error (not Oracle Health: PowerChart does it). */
  canMarkEnteredInError?: boolean;
  /** The filed note's document status: `preliminary` waits for the clinician's signature in the EHR. */
  docStatus?: string;
  /** What the signed-in user may do (filing and entered-in-error need the attesting roles). */
  permissions?: Permissions;
}

const BASE = '/api/launches/:launchId/discussion';
const uuid = z.uuid();
const fileBody = z.strictObject({ discussionId: uuid.optional() });
/** The reason goes into the replacement note and the record: marking a note in error is never a silent click. */
const retractBody = z.strictObject({ discussionId: uuid.optional(), replace: z.boolean().default(false), reason: z.string().trim().min(3).max(500) });

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) {
    throw badRequest('The request could not be read.', { details: { issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) } });
  }
  return parsed.data;
}

/**
 * The discussion asked for; else the one this launch completed; else the one whose filing a relaunch of this chart
 * resumed (the page of a relaunch shows a fresh draft, but the clinician wants to see that filing finish); else the
 * draft this launch works on.
 */
async function discussionIdOf(deps: FilingRouteDeps, launch: LaunchSession, asked: string | undefined): Promise<string> {
  if (asked !== undefined) {
    return asked;
  }
  const key = discussionKeyOf(launch);
  const latest = await deps.discussions.findLatestInLaunch(key, launch.launchId);
  if (latest?.status === 'attested') {
    return latest.id;
  }
  const resumed = await deps.filing.ledger.findLatestByLaunch(launch.launchId);
  const id = resumed?.discussionId ?? latest?.id;
  if (id === undefined) {
    throw notFound('This launch has no discussion to file.', { details: { reason: 'discussion_unknown' } });
  }
  return id;
}

async function viewOf(deps: FilingRouteDeps, intent: WriteIntent): Promise<FilingView> {
  const detail = intent.state === 'failed' ? await deps.filing.detailOf(intent) : undefined;
  const docStatus = (await deps.filing.ledger.payloadOf(intent.id)).docStatus;
  return {
    ...(docStatus === undefined ? {} : { docStatus }),
    discussionId: intent.discussionId, state: intent.state, final: isFinal(intent.state), filed: isFiled(intent.state),
    intentId: intent.id, attempts: intent.attempts,
    ...(intent.documentId === undefined ? {} : { documentId: intent.documentId }),
    ...(intent.lastError === undefined ? {} : { lastError: { code: intent.lastError.code, message: intent.lastError.text } }),
    ...(detail === undefined ? {} : { ehrMessage: detail }),
    relaunchNeeded: intent.lastError?.code === 'relaunch_needed',
    ...(intent.nextAttemptAt === undefined ? {} : { nextAttemptAt: intent.nextAttemptAt.toISOString() }),
    ...(intent.replacesDocumentId === undefined ? {} : { replacesDocumentId: intent.replacesDocumentId }),
    canMarkEnteredInError: intent.profile !== 'oracle',
  };
}

/** Waits up to `ms` for the drive, then answers with the intent as it is: 200 when final, 202 while it goes on. */
async function answer(deps: FilingRouteDeps, res: Response, handle: FilingHandle): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), deps.waitMs ?? 8_000);
  });
  const settled = await Promise.race([handle.done.catch(() => undefined), waited]);
  clearTimeout(timer);
  const intent = settled ?? (await deps.filing.ledger.get(handle.intent.id)) ?? handle.intent;
  res.status(isFinal(intent.state) ? 200 : 202).set('Cache-Control', 'no-store').json(await viewOf(deps, intent));
}

function fileHandler(deps: FilingRouteDeps): RequestHandler {
  return async (req, res) => {
    const launch = launchOf(res);
    const discussionId = await discussionIdOf(deps, launch, parse(fileBody, req.body).discussionId);
    await answer(deps, res, await deps.filing.fileDiscussion({ launch, discussionId }));
  };
}

function stateHandler(deps: FilingRouteDeps): RequestHandler {
  return async (req, res) => {
    const asked = typeof req.query.discussionId === 'string' ? parse(uuid, req.query.discussionId) : undefined;
    const launch = launchOf(res);
    const discussionId = await discussionIdOf(deps, launch, asked);
    const intent = await deps.filing.findFiling(launch, discussionId);
    const none: FilingView = { discussionId, state: 'none', final: false, filed: false };
    const view = intent === undefined ? none : await viewOf(deps, intent);
    res.set('Cache-Control', 'no-store').json({ ...view, permissions: await permissionsOfLaunch(deps, launch) });
  };
}

function retractHandler(deps: FilingRouteDeps): RequestHandler {
  return async (req, res) => {
    const body = parse(retractBody, req.body);
    const launch = launchOf(res);
    const discussionId = await discussionIdOf(deps, launch, body.discussionId);
    await answer(deps, res, await deps.filing.markEnteredInError({ launch, discussionId, replace: body.replace, reason: body.reason }));
  };
}

/** The note exactly as it would be filed, to read before filing (nothing is recorded or sent). */
function previewHandler(deps: FilingRouteDeps): RequestHandler {
  return async (req, res) => {
    const asked = typeof req.query.discussionId === 'string' ? parse(uuid, req.query.discussionId) : undefined;
    const launch = launchOf(res);
    const discussionId = await discussionIdOf(deps, launch, asked);
    const preview = await deps.filing.previewNote(launch, discussionId);
    await deps.audit.append(launchRecord(launch, 'note.previewed', 'success', { entities: [{ type: 'Discussion', id: discussionId }], detail: { profile: preview.profile } }));
    res.set('Cache-Control', 'no-store').json({ discussionId, ...preview });
  };
}

export function filingRoutes(deps: FilingRouteDeps): Router {
  const router = Router();
  const launch = requireLaunch(deps.store);
  const csrf = requireCsrf(deps.appBaseUrl);
  router.post(`${BASE}/file`, launch, csrf, requireSigner(deps, 'file'), fileHandler(deps));
  router.get(`${BASE}/filing`, launch, stateHandler(deps));
  router.get(`${BASE}/note-preview`, launch, previewHandler(deps));
  router.post(`${BASE}/filing/entered-in-error`, launch, csrf, requireSigner(deps, 'file'), retractHandler(deps));
  return router;
}
