/**
 * What the browser gets for a discussion (pure): the record, the checklist items that apply to it and the plain
 * statement that this records the discussion and is not the legal consent form. Built from the stored record, so
 * every answer to a save shows exactly what the server will validate at attestation.
 */
import type { Checklist, ChecklistItem } from '../content/checklist-schema';
import { applicableItems } from './checklist-model';
import type { Discussion } from './discussion';
import type { Scenario } from '../content/scenario';
import { activeChecklistFlags, chartScenarioOf, scenarioOfDiscussion } from './discussion';
import type { Permissions } from './signer-role';
import { languageMismatches, languagesOf } from './interpreter-rule';

export type ViewItem = Omit<ChecklistItem, 'seedFacts' | 'sources'>;

export interface DiscussionView {
  /** From the checklist content: "… It is not the legal consent form …". */
  statement: string;
  checklist: {
    id: string;
    version: string;
    title: string;
    groups: Array<{ id: string; label: string; discussedAll?: boolean }>;
    /** The applicable items; follow-up items (`requiredWhen`) are shown by the client when their trigger holds. */
    items: ViewItem[];
  };
  /** Content-pack flags in force (raised and not dismissed). */
  activeFlags: string[];
  /** What the handout and checklist are about: as the chart reads, and in force (the clinician's saved choice over it). */
  scenario: { fromChart: Scenario; inForce: Scenario };
  /**
   * How the handout's and the discussion's language differ from the patient's preferred one, in words (empty when
   * they do not): "not needed" then needs a reason (`interpreter-rule.ts`).
   */
  languageMismatches: string[];
  discussion: Discussion;
  /** What the signed-in user may do with it (the server enforces it; the page greys out what it may not). */
  permissions: Permissions;
}

/** The item without its seed-fact and citation ids (content bookkeeping the clinician's page does not use). */
function viewItem(item: ChecklistItem): ViewItem {
  const view: ViewItem = { id: item.id, group: item.group, text: item.text, required: item.required, kind: item.kind, filledBy: item.filledBy };
  if (item.options !== undefined) {
    view.options = item.options;
  }
  if (item.appliesWhen !== undefined) {
    view.appliesWhen = item.appliesWhen;
  }
  if (item.requiredWhen !== undefined) {
    view.requiredWhen = item.requiredWhen;
  }
  if (item.shownWhen !== undefined) {
    view.shownWhen = item.shownWhen;
  }
  if (item.confirmAlone === true) {
    view.confirmAlone = true;
  }
  return view;
}

export function discussionView(checklist: Checklist, discussion: Discussion, permissions: Permissions): DiscussionView {
  const activeFlags = activeChecklistFlags(discussion);
  const scenario = scenarioOfDiscussion(discussion);
  const items = applicableItems(checklist, activeFlags, scenario);
  const groupIds = new Set(items.map((item) => item.group));
  return {
    statement: checklist.statement,
    checklist: {
      id: checklist.id,
      version: checklist.version,
      title: checklist.title,
      groups: checklist.groups.filter((g) => groupIds.has(g.id)).map((g) => ({ id: g.id, label: g.label, ...(g.discussedAll === true ? { discussedAll: true } : {}) })),
      items: items.map(viewItem),
    },
    activeFlags,
    scenario: { fromChart: chartScenarioOf(discussion), inForce: scenario },
    languageMismatches: languageMismatches(languagesOf(discussion), discussion.answers),
    discussion,
    permissions,
  };
}
