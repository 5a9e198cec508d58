/**
 * What a compliance review reads off one discussion record (pure): how much of the checklist was answered, the
 * teach-back outcome and whether an interpreter was used — codes and counts, never the clinician's or the patient's
 * words. The checklist is the record's own version (content/checklist), so the count is the one the clinician saw.
 */
import type { Checklist } from '../content/checklist-schema';
import { isAnswered, isRequired, shownItems } from './checklist-model';
import type { Discussion } from './discussion';
import { activeChecklistFlags } from './discussion';

export interface DiscussionSummary {
  /** Required items answered, of those required (as the record's answers and raised flags make them). */
  checklist: { answered: number; required: number };
  /** The teach-back answer's code (`understood`, `not-understood`…), or null when not answered. */
  teachBack: string | null;
  /** The interpreter answer's code (`used`, `not-needed`, `declined`), or null when not answered. */
  interpreter: string | null;
}

const codeOf = (d: Discussion, id: string): string | null => {
  const value = d.answers[id]?.value;
  return typeof value === 'string' && value !== '' ? value : null;
};

export function summarizeDiscussion(discussion: Discussion, checklist: Checklist): DiscussionSummary {
  const required = shownItems(checklist, activeChecklistFlags(discussion), discussion.answers).filter((item) => isRequired(item, discussion.answers));
  const answered = required.filter((item) => isAnswered(item, discussion.answers[item.id])).length;
  return {
    checklist: { answered, required: required.length },
    teachBack: codeOf(discussion, 'teach-back'),
    interpreter: codeOf(discussion, 'interpreter-used'),
  };
}
