import { newDraft, withSnapshot } from '../../server/consent/discussion-lifecycle';
import type { DiscussionSnapshot } from '../../server/consent/discussion';
import { languagesOf } from '../../server/consent/interpreter-rule';

/** The record pins the patient's preferred language the interpreter rule compares, as the chart gives it now. */
function snapshot(overrides: Partial<DiscussionSnapshot> = {}): DiscussionSnapshot {
  return {
    fhirBaseUrl: 'https://ehr.example/fhir', launchId: 'launch-1',
    pack: { id: 'itdd-pump-handout', version: '1.0.0', language: 'en', title: 'A Pain Medicine Pump' },
    checklist: { id: 'itdd-consent-checklist', version: '1.2.0' },
    interpreterNeeded: true, flagsShown: [], uncheckedAreas: [], appAnswers: {}, ...overrides,
  };
}

const key = { tenantId: 'sandbox', patientId: 'arabic-rtl-name-patient', clinician: 'Practitioner/itdd-dr-rivera' };

test('a draft keeps the preferred language of the latest chart read, and drops one the chart no longer records', () => {
  const draft = newDraft(key, snapshot({ preferredLanguage: 'ar' }), { id: 'd1', now: new Date('2026-11-25T12:00:00Z') });
  expect(languagesOf(draft)).toEqual({ preferred: 'ar', handout: 'en' });
  expect(withSnapshot(draft, snapshot({ preferredLanguage: 'ar-EG' })).preferredLanguage).toBe('ar-EG');
  const cleared = withSnapshot(draft, snapshot());
  expect('preferredLanguage' in cleared).toBe(false);
  expect(languagesOf(cleared)).toEqual({ handout: 'en' });
});
