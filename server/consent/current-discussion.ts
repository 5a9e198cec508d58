import { chartReadOf, chartSnapshotOf } from '../chart-snapshot/chart-snapshots';
import { loadChecklist, pickPackForLanguage } from '../content/content-packs';
import type { LaunchSession } from '../store/launch-sessions';
import { tailor } from '../tailoring/engine';
import type { ConsentDeps } from './routes';
import type { Discussion } from './discussion';
import { discussionKeyOf, snapshotOf } from './discussion-snapshot';

const CHECKLIST_LANGUAGE = 'en';

/**
 * The discussion this launch shows: the one it has just completed, else the draft of this patient, encounter and
 * clinician — brought up to date with the launch's chart snapshot — else a new draft.
 */
export async function currentDiscussion(deps: Pick<ConsentDeps, 'discussions' | 'chart' | 'approvedPacksOnly'>, launch: LaunchSession): Promise<Discussion> {
  const key = discussionKeyOf(launch);
  const latest = await deps.discussions.findLatestInLaunch(key, launch.launchId);
  if (latest !== undefined && latest.status !== 'draft') {
    return latest;
  }
  const snapshot = await chartSnapshotOf(deps.chart, launch);
  const { context } = snapshot;
  // A chart read that failed or was refused says nothing about the patient: an EHR outage must not strip the
  // draft's flags (and the checklist items tied to them). Keep the draft as it was until the chart reads again.
  const readFully = Object.values(context.reads).every((r) => r.state === 'ok' || r.state === 'not-in-context');
  if (!readFully) {
    const draft = await deps.discussions.findDraft(key);
    if (draft !== undefined) {
      return draft;
    }
  }
  const choice = pickPackForLanguage(context.patient?.preferredLanguage?.code, {
    approvedOnly: deps.approvedPacksOnly === true,
  });
  const checklist = loadChecklist(CHECKLIST_LANGUAGE);
  return deps.discussions.openDraft(key, snapshotOf({ launch, context, tailoring: tailor(context), choice, checklist, chartRead: chartReadOf(snapshot) }));
}

