import { AppError } from '../errors';
import { chartReadOf, chartSnapshotOf } from '../chart-snapshot/chart-snapshots';
import { listHandoutPacks, loadChecklist, pickPackForLanguage } from '../content/content-packs';
import type { LaunchSession } from '../store/launch-sessions';
import { tailor } from '../tailoring/engine';
import type { ConsentDeps } from './routes';
import type { Discussion, DiscussionKey, DiscussionSnapshot } from './discussion';
import { newDraft, withSnapshot } from './discussion-lifecycle';
import { discussionKeyOf, snapshotOf } from './discussion-snapshot';
import { staleVersion } from './discussion-store';

const CHECKLIST_LANGUAGE = 'en';

type Deps = Pick<ConsentDeps, 'discussions' | 'chart' | 'approvedPacksOnly' | 'content'>;

/** The version a discussion has before it is first saved: the first change creates it (version 1). */
export const UNSAVED_VERSION = 0;

/**
 * What the launch's discussion is and what the launch's chart snapshot says it should become: the one this launch
 * has just completed, else the draft of this patient, encounter and clinician, else nothing yet.
 */
async function discussionState(deps: Deps, launch: LaunchSession): Promise<{ key: DiscussionKey; done?: Discussion; draft?: Discussion; snapshot?: DiscussionSnapshot }> {
  const key = discussionKeyOf(launch);
  const latest = await deps.discussions.findLatestInLaunch(key, launch.launchId);
  if (latest !== undefined && latest.status !== 'draft') {
    return { key, done: latest };
  }
  const [draft, chart] = await Promise.all([deps.discussions.findDraft(key), chartSnapshotOf(deps.chart, launch)]);
  const { context } = chart;
  // A chart read that failed or was refused says nothing about the patient: an EHR outage must not strip the
  // draft's flags (and the checklist items tied to them). Keep the draft as it was until the chart reads again.
  const readFully = Object.values(context.reads).every((r) => r.state === 'ok' || r.state === 'not-in-context');
  if (!readFully && draft !== undefined) {
    return { key, draft };
  }
  const approvedOnly = deps.approvedPacksOnly === true;
  // Production gives only packs a reviewer approved, as the store records it (not the pack file's own review note).
  const available = approvedOnly ? await deps.content.handoutChoices() : listHandoutPacks();
  const choice = pickPackForLanguage(context.patient?.preferredLanguage?.code, { approvedOnly, available });
  const checklist = loadChecklist(CHECKLIST_LANGUAGE);
  const snapshot = snapshotOf({ launch, context, tailoring: tailor(context), choice, checklist, chartRead: chartReadOf(chart) });
  return draft === undefined ? { key, snapshot } : { key, draft, snapshot };
}

/**
 * The discussion this launch shows, for GET requests: nothing is written. A draft is shown brought up to date with
 * the launch's chart snapshot (the first change saves that); with no draft yet, an unsaved one (version 0, no id)
 * that the first change creates. Opening a chart, a handout or a checklist never creates or changes a record.
 */
export async function viewedDiscussion(deps: Deps, launch: LaunchSession): Promise<Discussion> {
  const state = await discussionState(deps, launch);
  return state.done ?? viewOf(state);
}

function viewOf(state: Awaited<ReturnType<typeof discussionState>>): Discussion {
  if (state.draft !== undefined) {
    return state.snapshot === undefined ? state.draft : withSnapshot(state.draft, state.snapshot);
  }
  const snapshot = state.snapshot as DiscussionSnapshot;
  return { ...newDraft(state.key, snapshot, { id: '', now: new Date() }), version: UNSAVED_VERSION };
}

/**
 * The draft a change applies to, saved first (created, or brought up to date with the chart snapshot). The
 * browser's `version` must be what it was shown: the stored version, or 0 for a draft not yet saved.
 * @throws AppError conflict (stale) when someone changed the draft since.
 */
/**
 * The draft as the browser was shown it (its version checked), read without writing anything: what an attestation
 * is checked against first, so a refused one (422) leaves the record — and the page's version — as they were.
 * @throws AppError conflict when the discussion is completed or was changed since.
 */
export async function shownDraft(deps: Deps, launch: LaunchSession, shownVersion: number): Promise<Discussion> {
  const state = await discussionState(deps, launch);
  if (state.done !== undefined) {
    throw new AppError('conflict', 'This discussion has been completed and can no longer be changed.', { details: { reason: 'not_draft' } });
  }
  if (shownVersion !== (state.draft?.version ?? UNSAVED_VERSION)) {
    throw staleVersion();
  }
  return viewOf(state);
}

export async function draftToChange(deps: Deps, launch: LaunchSession, shownVersion: number): Promise<Discussion> {
  const state = await discussionState(deps, launch);
  if (state.done !== undefined) {
    throw new AppError('conflict', 'This discussion has been completed and can no longer be changed.', { details: { reason: 'not_draft' } });
  }
  const shown = state.draft?.version ?? UNSAVED_VERSION;
  if (shownVersion !== shown) {
    throw staleVersion();
  }
  if (state.snapshot === undefined) {
    return state.draft as Discussion;
  }
  return deps.discussions.openDraft(state.key, state.snapshot);
}

/** Brings the draft up to date with a new chart read (POST "refresh from the chart"); creates none. */
export async function followChart(deps: Deps, launch: LaunchSession): Promise<void> {
  const state = await discussionState(deps, launch);
  if (state.draft !== undefined && state.snapshot !== undefined) {
    await deps.discussions.openDraft(state.key, state.snapshot);
  }
}
