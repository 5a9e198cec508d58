import { isDiscussedAllItem, progressOf } from '../../client/checklist-progress';
import type { Answers } from '../../client/checklist-items';
import { loadChecklist } from '../../server/content/content-packs';
import { appFilledAnswers } from '../../server/consent/checklist-answers';
import type { ChecklistAnswers } from '../../server/consent/checklist-model';
import { applicableItems, validateForAttestation } from '../../server/consent/checklist-model';

/**
 * The checklist page's progress count and its "discussed all of the above" against the server's rules: the count
 * reaches "N of N" exactly when the server would accept the attestation, and "discussed all" never answers an
 * attestation, the teach-back or anything but a discussed topic.
 */
const checklist = loadChecklist('en');
const FLAGS = ['bleeding-risk', 'non-cancer-pain'];
const items = applicableItems(checklist, FLAGS);
const offers = new Map(checklist.groups.map((g) => [g.id, g.discussedAll === true]));
const appAnswers = appFilledAnswers(checklist, {
  handoutTitle: 'Your intrathecal drug pump',
  handoutVersion: '1.0.0',
  handoutLanguage: 'English (en)',
  preferredLanguage: 'English (en)',
  practitioner: 'Dr Ana Rivera',
  attestedAt: '2030-03-01T09:30:00.000Z',
});

const discussedAll = items.filter((item) => isDiscussedAllItem(item, offers.get(item.group) === true));

function byHand(item: (typeof items)[number]): boolean | string {
  if (item.kind === 'confirm') {
    return true;
  }
  return item.kind === 'choice' ? (item.options?.[0]?.code ?? '') : 'Recorded.';
}

/** Everything "discussed all" ticks, plus what the clinician still answers by hand. */
function afterDiscussedAll(): ChecklistAnswers {
  const answers: ChecklistAnswers = Object.fromEntries(discussedAll.map((item) => [item.id, { value: true }]));
  for (const item of items) {
    if (item.filledBy === 'app' || answers[item.id] !== undefined || !item.required) {
      continue;
    }
    answers[item.id] = { value: byHand(item) };
  }
  return answers;
}

const serverAccepts = (answers: ChecklistAnswers): boolean => validateForAttestation(checklist, { ...answers, ...appAnswers }, FLAGS).ok;
const complete = (answers: Answers): boolean => {
  const p = progressOf(items, answers);
  return p.required > 0 && p.answered === p.required;
};

test('"discussed all" ticks only discussed topics: never the attestation, the handout given or a coded answer', () => {
  expect(discussedAll.length).toBeGreaterThan(30);
  expect(discussedAll.every((item) => item.kind === 'confirm' && item.filledBy === 'clinician')).toBe(true);
  expect(discussedAll.map((item) => item.group)).not.toContain('attestation');
  expect(discussedAll.map((item) => item.id)).not.toEqual(expect.arrayContaining(['attestation']));
  expect(discussedAll.map((item) => item.id)).not.toContain('benefits-risks-alternatives-explained');
  expect(discussedAll.map((item) => item.id)).not.toContain('handout-given');
});

test('after "discussed all" and the few answers left, the count is complete and the server accepts', () => {
  const answers = afterDiscussedAll();
  expect(complete(answers)).toBe(true);
  expect(serverAccepts(answers)).toBe(true);
  // What is left to answer by hand for this patient is small: the visit's budget.
  expect(Object.keys(answers).length - discussedAll.length).toBeLessThanOrEqual(11);
});

test('an exception unticked after "discussed all" is counted open, and the server refuses it', () => {
  const answers = afterDiscussedAll();
  answers['risk-spinal-cord-injury'] = { value: false };
  expect(progressOf(items, answers)).toEqual({ answered: progressOf(items, afterDiscussedAll()).answered - 1, required: progressOf(items, afterDiscussedAll()).required });
  expect(complete(answers)).toBe(false);
  expect(serverAccepts(answers)).toBe(false);
});

test('the count agrees with the server for every single item left out, follow-ups included', () => {
  const full = afterDiscussedAll();
  const variants: ChecklistAnswers[] = Object.keys(full).map((id) => Object.fromEntries(Object.entries(full).filter(([other]) => other !== id)));
  variants.push({ ...full, 'teach-back': { value: 'not-understood' } }); // makes the re-teach notes required
  variants.push({ ...full, 'teach-back': { value: 'not-understood' }, 'teach-back-notes': { value: 'Went over the alarms again.' } });
  variants.push({ ...full, 'interpreter-used': { value: 'used' } }); // the interpreter's ID and modality
  for (const answers of variants) {
    expect({ answers, complete: complete(answers) }).toEqual({ answers, complete: serverAccepts(answers) });
  }
});
