import { loadChecklist } from '../../server/content/content-packs';
import type { Checklist, ChecklistItem } from '../../server/content/checklist-schema';
import { AppError } from '../../server/errors';
import type { ChecklistAnswers } from '../../server/consent/checklist-model';
import {
  MAX_TEXT_CHARS,
  answersForRecord,
  applicableItems,
  shownItems,
  validateForAttestation,
} from '../../server/consent/checklist-model';
import { appFilledAnswers, keepAppFilled, parseClinicianAnswers } from '../../server/consent/checklist-answers';
import { activeChecklistFlags } from '../../server/consent/discussion';
import type { ShownFlag } from '../../server/consent/discussion';
import { languageLabel } from '../../server/consent/discussion-snapshot';

/**
 * The checklist rules a clinician relies on: what applies to this patient, what must be answered before attesting
 * (CMS minimum elements, a coded teach-back result, interpreter details once one was used) and what the browser
 * may never set.
 */
const checklist = loadChecklist('en');
const NOW = '2030-03-01T09:30:00.000Z';

function item(id: string): ChecklistItem {
  const found = checklist.items.find((i) => i.id === id);
  if (found === undefined) {
    throw new Error(`no item ${id}`);
  }
  return found;
}

/** What the server fills, as the routes do (the attestation time last). */
const appAnswers = appFilledAnswers(checklist, {
  handoutTitle: 'Your intrathecal drug pump',
  handoutVersion: '1.0.0',
  handoutLanguage: 'English (en)',
  preferredLanguage: 'English (en)',
  practitioner: 'Dr Ana Rivera',
  attestedAt: NOW,
});

function firstValue(i: ChecklistItem): boolean | string {
  if (i.kind === 'confirm') {
    return true;
  }
  return i.kind === 'choice' ? (i.options?.[0]?.code ?? '') : 'Recorded.';
}

/** A clinician who answers every shown item, choosing the first option of each choice. */
function everythingAnswered(flags: string[], overrides: ChecklistAnswers = {}): ChecklistAnswers {
  const answers: ChecklistAnswers = { ...overrides };
  for (const i of applicableItems(checklist, flags)) {
    if (i.filledBy === 'app' || answers[i.id] !== undefined) {
      continue;
    }
    answers[i.id] = { value: firstValue(i) };
  }
  return { ...answers, ...appAnswers };
}

function missingIds(answers: ChecklistAnswers, flags: string[] = []): string[] {
  const result = validateForAttestation(checklist, answers, flags);
  return result.ok ? [] : result.missing.map((m) => m.id);
}

function invalidOf(answers: ChecklistAnswers, flags: string[] = []): Array<{ id: string; why: string }> {
  const result = validateForAttestation(checklist, answers, flags);
  return result.ok ? [] : result.invalid.map(({ id, why }) => ({ id, why }));
}

describe('applicability', () => {
  test('tailored items appear only for the flags in force', () => {
    const plain = applicableItems(checklist, []).map((i) => i.id);
    expect(plain).not.toContain('tailored-bleeding');
    expect(plain).toContain('risk-surgical-infection');
    const bleeding = applicableItems(checklist, ['bleeding-risk']).map((i) => i.id);
    expect(bleeding).toContain('tailored-bleeding');
    expect(bleeding).not.toContain('tailored-infection');
    expect(bleeding.length).toBe(plain.length + 1);
  });

  test('interpreter details are shown only once an interpreter was used', () => {
    const ids = (answers: ChecklistAnswers): string[] => shownItems(checklist, [], answers).map((i) => i.id);
    expect(ids({})).not.toContain('interpreter-id');
    expect(ids({ 'interpreter-used': { value: 'not-needed' } })).not.toContain('interpreter-modality');
    expect(ids({ 'interpreter-used': { value: 'used' } })).toEqual(expect.arrayContaining(['interpreter-id', 'interpreter-modality']));
  });

  test('a dismissed flag no longer puts its items in force', () => {
    const flag = (id: string, handoutFlag: ShownFlag['handoutFlag']): ShownFlag => ({
      id, audience: 'patient', severity: 'caution', handoutFlag, title: id, reason: 'r', source: { id: 's', text: 's' }, evidence: [],
    });
    const flagsShown = [flag('anticoagulant', 'bleeding-risk'), flag('antiplatelet', 'bleeding-risk'), flag('diabetes', 'infection-risk')];
    expect(activeChecklistFlags({ flagsShown, dismissedFlags: [], uncheckedAreas: [] }).sort()).toEqual(['bleeding-risk', 'infection-risk']);
    const dismissed = [{ flagId: 'diabetes', reason: 'resolved', by: 'Practitioner/1', at: NOW }];
    expect(activeChecklistFlags({ flagsShown, dismissedFlags: dismissed, uncheckedAreas: [] })).toEqual(['bleeding-risk']);
    const both = [...dismissed, { flagId: 'anticoagulant', reason: 'stopped', by: 'Practitioner/1', at: NOW }];
    expect(activeChecklistFlags({ flagsShown, dismissedFlags: both, uncheckedAreas: [] })).toEqual(['bleeding-risk']);
  });
});

describe('validation before attestation', () => {
  test('a complete record passes', () => {
    expect(validateForAttestation(checklist, everythingAnswered([]), [])).toEqual({ ok: true });
    expect(validateForAttestation(checklist, everythingAnswered(['bleeding-risk']), ['bleeding-risk'])).toEqual({ ok: true });
  });

  test('an empty record names every required item with its text, and no optional one', () => {
    const result = validateForAttestation(checklist, {}, []);
    expect(result.ok).toBe(false);
    const missing = result.ok ? [] : result.missing;
    expect(missing).toContainEqual({ id: 'teach-back', text: item('teach-back').text });
    expect(missing.map((m) => m.id)).toEqual(expect.arrayContaining(['facility-name', 'attestation', 'attestation-datetime', 'interpreter-used']));
    expect(missing.map((m) => m.id)).not.toContain('procedure-details');
    expect(missing.map((m) => m.id)).not.toContain('interpreter-id');
    const requiredShown = applicableItems(checklist, []).filter((i) => i.required);
    expect(missing).toHaveLength(requiredShown.length);
  });

  test('teach-back must be one of its coded results', () => {
    expect(missingIds(everythingAnswered([], { 'teach-back': { value: '' } }))).toEqual([]);
    expect(invalidOf(everythingAnswered([], { 'teach-back': { value: '' } }))).toEqual([
      { id: 'teach-back', why: expect.stringContaining('understood') },
    ]);
    expect(invalidOf(everythingAnswered([], { 'teach-back': { value: true } }))[0]?.id).toBe('teach-back');
    const complete = everythingAnswered([]);
    delete complete['teach-back'];
    expect(missingIds(complete)).toEqual(['teach-back']);
  });

  test('re-explaining at teach-back requires the notes on what was re-explained', () => {
    const answers = everythingAnswered([], { 'teach-back': { value: 'understood-after-re-explaining' } });
    delete answers['teach-back-notes'];
    expect(missingIds(answers)).toEqual(['teach-back-notes']);
    answers['teach-back-notes'] = { value: 'Explained refill visits again.' };
    expect(validateForAttestation(checklist, answers, [])).toEqual({ ok: true });
  });

  test('an interpreter used requires the interpreter ID and modality', () => {
    const answers = everythingAnswered([], { 'interpreter-used': { value: 'used' } });
    delete answers['interpreter-id'];
    delete answers['interpreter-modality'];
    expect(missingIds(answers).sort()).toEqual(['interpreter-id', 'interpreter-modality']);
    answers['interpreter-id'] = { value: 'Interpreter 4471' };
    answers['interpreter-modality'] = { value: 'carrier-pigeon' };
    expect(invalidOf(answers)).toEqual([{ id: 'interpreter-modality', why: 'must be one of: in-person, video, phone' }]);
    answers['interpreter-modality'] = { value: 'video' };
    expect(validateForAttestation(checklist, answers, [])).toEqual({ ok: true });
  });

  test('a required tick left unticked, or blank text, is missing', () => {
    expect(missingIds(everythingAnswered([], { attestation: { value: false } }))).toEqual(['attestation']);
    expect(missingIds(everythingAnswered([], { 'facility-name': { value: '   ' } }))).toEqual(['facility-name']);
  });

  test('a tailored item is required while its flag is in force, not after it is dismissed', () => {
    const answers = everythingAnswered([]);
    expect(missingIds(answers, ['bleeding-risk'])).toEqual(['tailored-bleeding']);
    expect(missingIds(answers, [])).toEqual([]);
  });

  test('the attestation time must be a real ISO date-time', () => {
    expect(invalidOf({ ...everythingAnswered([]), 'attestation-datetime': { value: 'yesterday' } })).toEqual([
      { id: 'attestation-datetime', why: 'must be an ISO 8601 date and time' },
    ]);
    expect(invalidOf({ ...everythingAnswered([]), 'attestation-datetime': { value: '2030-02-30T10:00:00Z' } })).toHaveLength(1);
    expect(invalidOf({ ...everythingAnswered([]), 'attestation-datetime': { value: '2030-02-28T24:00Z' } })).toHaveLength(1);
    expect(invalidOf({ ...everythingAnswered([]), 'attestation-datetime': { value: '2028-02-29T10:00+05:30' } })).toHaveLength(0);
    const noTime = everythingAnswered([]);
    delete noTime['attestation-datetime'];
    expect(missingIds(noTime)).toEqual(['attestation-datetime']);
  });

  test('answers to ids outside the checklist are invalid', () => {
    expect(invalidOf({ ...everythingAnswered([]), 'made-up': { value: true } })).toEqual([
      { id: 'made-up', why: 'not an item of this checklist' },
    ]);
  });

  test('the attested record keeps only the answers of items shown', () => {
    const answers = everythingAnswered(['bleeding-risk'], {
      'interpreter-used': { value: 'not-needed' },
      'interpreter-id': { value: 'left over from an earlier choice' },
    });
    const kept = answersForRecord(checklist, answers, []);
    expect(kept['interpreter-id']).toBeUndefined();
    expect(kept['tailored-bleeding']).toBeUndefined();
    expect(kept['interpreter-used']).toEqual({ value: 'not-needed' });
    expect(kept['attestation-datetime']).toEqual({ value: NOW });
  });
});

describe('answers from the browser', () => {
  function refusal(input: unknown, list: Checklist = checklist): AppError {
    try {
      parseClinicianAnswers(list, input);
    } catch (error) {
      if (error instanceof AppError) {
        return error;
      }
      throw error;
    }
    throw new Error('expected a refusal');
  }

  test('partial answers are accepted as given', () => {
    const input = { 'facility-name': { value: 'St Elsewhere' }, alternatives: { value: true, note: 'Discussed SCS too.' } };
    expect(parseClinicianAnswers(checklist, input)).toEqual(input);
  });

  test('values for app-filled items are dropped, and the server values are kept', () => {
    const input = { 'handout-version': { value: '9.9.9' }, 'attestation-datetime': { value: '2001-01-01T00:00:00Z' }, 'facility-name': { value: 'A' } };
    const parsed = parseClinicianAnswers(checklist, input);
    expect(parsed).toEqual({ 'facility-name': { value: 'A' } });
    const stored = { ...appFilledAnswers(checklist, { handoutVersion: '1.0.0' }), 'facility-name': { value: 'old' } };
    expect(keepAppFilled(checklist, parsed, stored)).toEqual({ 'facility-name': { value: 'A' }, 'handout-version': { value: '1.0.0' } });
  });

  test('unknown ids are refused by name', () => {
    const error = refusal({ 'facility-name': { value: 'A' }, 'not-an-item': { value: true } });
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ refused: [{ id: 'not-an-item', why: 'not an item of this checklist' }] });
  });

  test('text and notes are bounded', () => {
    expect(parseClinicianAnswers(checklist, { 'facility-name': { value: 'x'.repeat(MAX_TEXT_CHARS) } })).toBeDefined();
    expect(refusal({ 'facility-name': { value: 'x'.repeat(MAX_TEXT_CHARS + 1) } }).status).toBe(400);
    expect(refusal({ alternatives: { value: true, note: 'x'.repeat(MAX_TEXT_CHARS + 1) } }).status).toBe(400);
  });

  test('values of the wrong kind are refused, without echoing them', () => {
    const error = refusal({ 'teach-back': { value: 'mostly' }, attestation: { value: 'yes' } });
    expect(error.details).toEqual({
      refused: [
        { id: 'teach-back', why: 'must be one of: understood, understood-after-re-explaining, not-understood, declined' },
        { id: 'attestation', why: 'must be true or false' },
      ],
    });
    expect(JSON.stringify(error.details)).not.toContain('mostly');
  });

  test.each([
    ['a list value', { alternatives: { value: ['a'] } }],
    ['an object value', { alternatives: { value: { nested: true } } }],
    ['an extra field', { alternatives: { value: true, by: 'Practitioner/evil' } }],
    ['not an object', 'facility-name=A'],
  ])('%s is refused', (_what, input) => {
    expect(refusal(input).status).toBe(400);
  });

  test('a flood of ids is refused before any lookup', () => {
    const flood = Object.fromEntries(Array.from({ length: 201 }, (_v, i) => [`item-${i}`, { value: true }]));
    expect(refusal(flood).details).toEqual({ issues: [': at most 200 answers'] });
  });
});

describe('app-filled values', () => {
  test('fill the app items; the language shows its name and code', () => {
    expect(appAnswers['handout-version']).toEqual({ value: '1.0.0' });
    expect(appAnswers['discussion-practitioner']).toEqual({ value: 'Dr Ana Rivera' });
    expect(languageLabel('es')).toBe('Spanish (es)');
    expect(languageLabel('es', 'Español')).toBe('Español (es)');
    expect(languageLabel('qaa')).toBe('qaa');
  });

  test('an app-filled item the server has no value for stays unanswered and blocks attestation', () => {
    const list: Checklist = {
      ...checklist,
      items: [...checklist.items, { ...item('handout-title'), id: 'handout-reading-level', text: 'Reading level.' }],
    };
    const answers = { ...everythingAnswered([]), ...appFilledAnswers(list, appAnswersValues()) };
    const result = validateForAttestation(list, answers, []);
    expect(result.ok ? [] : result.missing).toEqual([{ id: 'handout-reading-level', text: 'Reading level.' }]);
  });
});

function appAnswersValues(): Parameters<typeof appFilledAnswers>[1] {
  return { handoutTitle: 'T', handoutVersion: '1.0.0', handoutLanguage: 'en', preferredLanguage: 'en', practitioner: 'P', attestedAt: NOW };
}
