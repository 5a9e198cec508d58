/**
 * `noteInputFor`: the one mapping from a discussion record to the filed note's input — readable answers in checklist
 * order, the coded teach-back and interpreter as their displays, dismissed flags with the clinician's reason, and
 * nothing the record does not hold.
 */
import type { NoteInputSources } from '../../server/consent/note-input';
import { noteInputFor } from '../../server/consent/note-input';
import { loadChecklist } from '../../server/content/content-packs';

const AT = '2026-11-24T09:36:00-05:00';

function sources(answers: NoteInputSources['record']['answers']): NoteInputSources {
  return {
    record: {
      id: '6d1f6a0e-2b8c-4f4e-9a51-0c7e3b2d9f14',
      patientId: 'spanish-speaker-patient',
      pack: { id: 'itdd-pump-handout', version: '1.0.0', language: 'en', title: 'A Pain Medicine Pump: Benefits and Risks' },
      interpreterNeeded: true,
      flagsShown: [
        { id: 'systemic-steroid-infection', title: 'Infection risk: systemic steroid', audience: 'patient' },
        { id: 'contrast-allergy', title: 'Contrast-dye allergy recorded', audience: 'clinician' },
      ],
      uncheckedAreas: [],
      dismissedFlags: [{ flagId: 'contrast-allergy', reason: 'No contrast planned.' }],
      clinicianNotes: [{ text: 'Daughter present.' }],
      answers,
    },
    checklist: loadChecklist('en'),
    patient: undefined,
    clinician: { reference: 'Practitioner/itdd-dr-rivera' },
    times: { attestedAt: AT, periodStart: '2026-11-24T09:05:00-05:00', periodEnd: AT },
    appVersion: '0.1.0',
    scenario: { inForce: { indication: 'non-cancer-pain', procedure: 'first-implant' }, fromChart: { indication: 'non-cancer-pain', procedure: 'first-implant' } },
  };
}

test('an interpreter used is recorded with who and how; coded answers read as their displays, in checklist order', () => {
  const input = noteInputFor(sources({
    'interpreter-modality': { value: 'video' },
    'interpreter-id': { value: 'Interpreter #4471' },
    'interpreter-used': { value: 'used' },
    'teach-back': { value: 'understood', note: '  ' },
    'anesthesia-explained': { value: false, note: 'to be confirmed by anesthesia' },
  }));
  expect(input.interpreter).toEqual({ used: true, nameOrId: 'Interpreter #4471', modality: 'Video' });
  expect(input.teachBack).toBe('Understood: explained the key points correctly');
  expect(input.checklist.map((line) => line.answer)).toEqual([
    'Not confirmed (to be confirmed by anesthesia)',
    'Understood: explained the key points correctly',
    'A qualified medical interpreter was used',
    'Interpreter #4471',
    'Video',
  ]);
  expect(input.checklist[0]?.group).toBe('The procedure and who performs it');
});

test('the record decides the rest: dismissals with their reason, no patient facts when the chart had none, no PDF hash', () => {
  const input = noteInputFor(sources({ 'interpreter-used': { value: 'declined' } }));
  expect(input.interpreter).toEqual({ used: false });
  expect(input.flagsShown).toEqual([
    { id: 'systemic-steroid-infection', title: 'Infection risk: systemic steroid', audience: 'patient' },
    { id: 'contrast-allergy', title: 'Contrast-dye allergy recorded', audience: 'clinician', dismissed: { reason: 'No contrast planned.' } },
  ]);
  expect(input.patient).toEqual({ id: 'spanish-speaker-patient' });
  expect(input).not.toHaveProperty('encounterId');
  expect(input.handout).toEqual({ id: 'itdd-pump-handout', title: 'A Pain Medicine Pump: Benefits and Risks', version: '1.0.0', language: 'en', interpreterNeeded: true });
  expect(input.clinician).toEqual({ reference: 'Practitioner/itdd-dr-rivera' });
  expect(input).toMatchObject({ discussedAt: AT, periodStart: '2026-11-24T09:05:00-05:00', periodEnd: AT, clinicianNotes: ['Daughter present.'] });
});

test('without an interpreter answer the note says it was not recorded', () => {
  expect(noteInputFor(sources({})).interpreter).toBeUndefined();
});

test('"not needed" keeps the clinician\'s reason, and an interpreter used the language they interpreted', () => {
  const reason = 'The patient chose English, which she reads and speaks fluently.';
  const notNeeded = noteInputFor(sources({ 'interpreter-used': { value: 'not-needed' }, 'interpreter-not-needed-reason': { value: reason } }));
  expect(notNeeded.interpreter).toEqual({ used: false, reason });
  expect(notNeeded.checklist).toContainEqual(expect.objectContaining({ group: 'Language and interpreter', answer: reason }));
  const base = sources({ 'interpreter-used': { value: 'used' }, 'interpreter-id': { value: 'Interpreter #4471' }, 'interpreter-modality': { value: 'phone' } });
  const used = noteInputFor({ ...base, record: { ...base.record, preferredLanguage: 'ar' } });
  expect(used.interpreter).toEqual({ used: true, nameOrId: 'Interpreter #4471', modality: 'Phone', language: 'ar' });
});

test('the note says what the handout was about, and that the clinician chose it when the chart read otherwise', () => {
  const base = sources({});
  expect(noteInputFor(base).scenario).toEqual({ text: 'pain not caused by cancer; a first implant after a trial', chosenBy: 'chart' });
  const chosen = noteInputFor({ ...base, scenario: { inForce: { indication: 'spasticity', procedure: 'replacement' }, fromChart: base.scenario.fromChart } });
  expect(chosen.scenario).toEqual({
    text: 'spasticity (baclofen); a pump replacement or revision (no trial)',
    chosenBy: 'clinician',
    fromChart: 'pain not caused by cancer; a first implant after a trial',
  });
});
