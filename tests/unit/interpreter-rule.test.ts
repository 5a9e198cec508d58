import { loadChecklist } from '../../server/content/content-packs';
import type { ChecklistItem } from '../../server/content/checklist-schema';
import type { ChecklistAnswers } from '../../server/consent/checklist-model';
import { applicableItems, shownItems } from '../../server/consent/checklist-model';
import { appFilledAnswers } from '../../server/consent/checklist-answers';
import { attestationCheck, interpreterProblems, languageMismatches, languagesOf } from '../../server/consent/interpreter-rule';
import type { DiscussionLanguages } from '../../server/consent/interpreter-rule';

/**
 * Section 1557 at attestation: for a patient whose preferred language is not the handout's or the discussion's,
 * "no interpreter was needed" is refused unless the clinician says why; an interpreter used needs who and how; a
 * patient who shares the language of the handout and the discussion may be recorded as needing none.
 */
const checklist = loadChecklist('en');

function firstValue(item: ChecklistItem): boolean | string {
  if (item.kind === 'confirm') {
    return true;
  }
  return item.kind === 'choice' ? (item.options?.[0]?.code ?? '') : 'Recorded.';
}

/** Every item answered with its first option (the interpreter question set separately), as a clinician would. */
function answered(overrides: ChecklistAnswers): ChecklistAnswers {
  const answers: ChecklistAnswers = {};
  for (const item of applicableItems(checklist, [])) {
    if (item.filledBy === 'app' || item.requiredWhen !== undefined || item.shownWhen !== undefined || item.id === 'discussion-language') {
      continue;
    }
    answers[item.id] = { value: firstValue(item) };
  }
  const app = appFilledAnswers(checklist, {
    handoutTitle: 'A Pain Medicine Pump', handoutVersion: '1.0.0', handoutLanguage: 'English (en)',
    preferredLanguage: 'Arabic (ar)', practitioner: 'Elena Rivera, MD', attestedAt: '2030-03-01T09:30:00.000Z',
  });
  return { ...answers, ...overrides, ...app };
}

const arabicWithEnglishHandout: DiscussionLanguages = { preferred: 'ar', handout: 'en' };
const notNeeded = { 'interpreter-used': { value: 'not-needed' } };

function problemsOf(answers: ChecklistAnswers, languages: DiscussionLanguages): Array<{ id: string; why: string }> {
  const check = attestationCheck(checklist, answers, [], languages);
  return check.ok ? [] : [...check.missing.map((m) => ({ id: m.id, why: 'missing' })), ...check.invalid.map(({ id, why }) => ({ id, why }))];
}

describe('the patient prefers another language than the handout\'s', () => {
  test('"not needed" without a reason is refused, naming the interpreter item in plain words', () => {
    const problems = problemsOf(answered(notNeeded), arabicWithEnglishHandout);
    expect(problems).toEqual([{ id: 'interpreter-used', why: expect.stringContaining('"Not needed" cannot be recorded') }]);
    expect(problems[0]?.why).toContain("the patient's preferred language is Arabic (ar), but the handout is in English (en) and the discussion was in English (en)");
    expect(problems[0]?.why).toContain('write why no interpreter was needed');
  });

  test('a blank reason is no reason', () => {
    const answers = answered({ ...notNeeded, 'interpreter-not-needed-reason': { value: '   ' } });
    expect(problemsOf(answers, arabicWithEnglishHandout).map((p) => p.id)).toEqual(['interpreter-used']);
  });

  test('"not needed" with a reason is accepted, and the reason item is shown for it', () => {
    const answers = answered({ ...notNeeded, 'interpreter-not-needed-reason': { value: 'The patient reads and speaks English fluently and asked to use it.' } });
    expect(attestationCheck(checklist, answers, [], arabicWithEnglishHandout)).toEqual({ ok: true });
    expect(shownItems(checklist, [], answers).map((i) => i.id)).toContain('interpreter-not-needed-reason');
  });

  test('an interpreter used needs their name or ID and the modality; with both it is accepted', () => {
    const used = answered({ 'interpreter-used': { value: 'used' } });
    expect(problemsOf(used, arabicWithEnglishHandout).map((p) => p.id).sort()).toEqual(['interpreter-id', 'interpreter-modality']);
    const withId = answered({ 'interpreter-used': { value: 'used' }, 'interpreter-id': { value: 'Interpreter 4471' } });
    expect(problemsOf(withId, arabicWithEnglishHandout).map((p) => p.id)).toEqual(['interpreter-modality']);
    const complete = answered({ 'interpreter-used': { value: 'used' }, 'interpreter-id': { value: 'Interpreter 4471' }, 'interpreter-modality': { value: 'video' } });
    expect(attestationCheck(checklist, complete, [], arabicWithEnglishHandout)).toEqual({ ok: true });
  });

  test('a patient who declined the free interpreter offered is recorded as such', () => {
    expect(attestationCheck(checklist, answered({ 'interpreter-used': { value: 'declined' } }), [], arabicWithEnglishHandout)).toEqual({ ok: true });
  });

  test('the refusal comes with every other missing item, not instead of them', () => {
    const answers = answered(notNeeded);
    delete answers['teach-back'];
    expect(problemsOf(answers, arabicWithEnglishHandout).map((p) => p.id).sort()).toEqual(['interpreter-used', 'teach-back']);
  });
});

describe('the discussion\'s language counts as well as the handout\'s', () => {
  const spanish: DiscussionLanguages = { preferred: 'es-MX', handout: 'es' };

  test('Spanish handout, discussion in Spanish: "not needed" is accepted', () => {
    expect(attestationCheck(checklist, answered({ ...notNeeded, 'discussion-language': { value: 'patient-language' } }), [], spanish)).toEqual({ ok: true });
    expect(attestationCheck(checklist, answered(notNeeded), [], spanish)).toEqual({ ok: true });
  });

  test('Spanish handout, discussion in English: "not needed" needs a reason', () => {
    const answers = answered({ ...notNeeded, 'discussion-language': { value: 'en' } });
    expect(languageMismatches(spanish, answers)).toEqual(['the discussion was in English (en)']);
    expect(problemsOf(answers, spanish).map((p) => p.id)).toEqual(['interpreter-used']);
  });

  test('English handout, discussion in the patient\'s Arabic: the handout still differs', () => {
    const answers = answered({ ...notNeeded, 'discussion-language': { value: 'patient-language' } });
    expect(languageMismatches(arabicWithEnglishHandout, answers)).toEqual(['the handout is in English (en)']);
  });
});

describe('the same language throughout', () => {
  test('an English-preferring patient with the English handout may need no interpreter', () => {
    const english: DiscussionLanguages = { preferred: 'en-US', handout: 'en' };
    expect(interpreterProblems(checklist, answered(notNeeded), english)).toEqual([]);
    expect(attestationCheck(checklist, answered(notNeeded), [], english)).toEqual({ ok: true });
  });

  test('no preferred language in the chart: nothing to compare, nothing refused', () => {
    expect(languagesOf({ pack: { language: 'en' } })).toEqual({ handout: 'en' });
    expect(attestationCheck(checklist, answered(notNeeded), [], { handout: 'en' })).toEqual({ ok: true });
  });
});
