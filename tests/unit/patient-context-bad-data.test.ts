/**
 * The chart mapping against bad and hostile chart data (security research §6 F3–F11): what must be dropped, what
 * must be kept with its status, and what must never crash or mislead the clinician.
 */
import type { Bundle, FhirResource, Observation, Patient } from 'fhir/r4';
import { buildPatientContext, type PatientContext } from '../../server/chart/patient-context';
import type { ChartReadOutcomes } from '../../server/chart/read-chart';
import { describeReadState } from '../../server/chart/read-labels';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';

const NOW = new Date('2026-11-25T12:00:00Z');
const ME = { reference: 'Patient/p1' };
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

function patient(extra: Partial<Patient> = {}): Patient {
  return { resourceType: 'Patient', id: 'p1', name: [{ given: ['Ada'], family: 'Lovelace' }], birthDate: '1970-06-15', ...extra };
}

function contextOf(resources: FhirResource[], overrides: Partial<ChartReadOutcomes> = {}, withPatient: Patient = patient()): PatientContext {
  const bundle: Bundle = { resourceType: 'Bundle', type: 'collection', entry: [withPatient, ...resources].map((resource) => ({ resource })) };
  return buildPatientContext(chartReadsFromBundle(bundle, { patientId: 'p1' }, { overrides }), NOW);
}

function hba1c(id: string, value: unknown, effective: string): Observation {
  return {
    resourceType: 'Observation', id, status: 'final', subject: ME, effectiveDateTime: effective,
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c' }] },
    valueQuantity: { value: value as number, unit: '%' },
  };
}

describe('buildPatientContext: dropped and kept records', () => {
  test('entered-in-error records are dropped; refuted, stopped and completed ones are kept with their status', () => {
    const context = contextOf([
      { resourceType: 'Condition', id: 'c-error', subject: ME, code: { text: 'Sleep apnoea' }, verificationStatus: { coding: [{ code: 'entered-in-error' }] } },
      { resourceType: 'Condition', id: 'c-refuted', subject: ME, code: { text: 'Diabetes' }, verificationStatus: { coding: [{ code: 'refuted' }] } },
      { resourceType: 'MedicationRequest', id: 'm-error', subject: ME, status: 'entered-in-error', intent: 'order', medicationCodeableConcept: { text: 'warfarin' } },
      { resourceType: 'MedicationRequest', id: 'm-stopped', subject: ME, status: 'stopped', intent: 'order', medicationCodeableConcept: { text: 'warfarin' } },
      { resourceType: 'MedicationStatement', id: 's-error', subject: ME, status: 'entered-in-error', medicationCodeableConcept: { text: 'aspirin' } },
      { resourceType: 'AllergyIntolerance', id: 'a-error', patient: ME, code: { text: 'Latex' }, verificationStatus: { coding: [{ code: 'entered-in-error' }] } },
      { resourceType: 'Procedure', id: 'pr-error', subject: ME, status: 'entered-in-error', code: { text: 'Trial' } },
      { resourceType: 'Procedure', id: 'pr-done', subject: ME, status: 'completed', code: { text: 'Trial' } },
      { ...hba1c('o-error', 12, '2026-11-20'), status: 'entered-in-error' },
      hba1c('o-ok', 6.1, '2026-01-01'),
    ]);
    expect(context.conditions.map((fact) => [fact.reference, fact.verificationStatus])).toEqual([['Condition/c-refuted', 'refuted']]);
    expect(context.medications.map((fact) => [fact.reference, fact.status])).toEqual([['MedicationRequest/m-stopped', 'stopped']]);
    expect(context.allergies).toEqual([]);
    expect(context.procedures.map((fact) => fact.reference)).toEqual(['Procedure/pr-done']);
    expect(context.latestHbA1c?.reference).toBe('Observation/o-ok');
  });

  test('resources for another patient (or none) are dropped with a PHI-free warning', () => {
    const reads = chartReadsFromBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient() }] }, { patientId: 'p1' }, {
      overrides: {
        conditions: { kind: 'ok', value: { resourceType: 'Bundle', type: 'searchset', entry: [
          { resource: { resourceType: 'Condition', id: 'mine', subject: { reference: 'Patient/p1' }, code: { text: 'Chronic pain' } } },
          { resource: { resourceType: 'Condition', id: 'theirs', subject: { reference: 'Patient/p2' }, code: { text: 'HIV infection' } } },
          { resource: { resourceType: 'Condition', id: 'nobody', subject: { display: 'someone' }, code: { text: 'Cancer' } } },
        ] } },
      },
    });
    const context = buildPatientContext(reads, NOW);
    expect(context.conditions.map((fact) => fact.display)).toEqual(['Chronic pain']);
    expect(context.warnings).toEqual(['2 resources not linked to this patient were ignored']);
    expect(context.warnings.join(' ')).not.toMatch(/HIV|p2|Cancer/);
  });

  test('a Patient read that answers someone else gives no patient and a failed state', () => {
    const reads = chartReadsFromBundle({ resourceType: 'Bundle', type: 'collection', entry: [] }, { patientId: 'p1' }, {
      overrides: { patient: { kind: 'ok', value: patient({ id: 'p2' }) } },
    });
    const context = buildPatientContext(reads, NOW);
    expect(context.patient).toBeUndefined();
    expect(describeReadState('patient', context.reads.patient)).toBe('Could not read patient details: the EHR answered with a different patient');
  });

  test('a refused read gives an empty list and "not authorized", never "none"', () => {
    const context = contextOf(
      [{ resourceType: 'AllergyIntolerance', id: 'a1', patient: ME, code: { text: 'Morphine' } }],
      { allergies: { kind: 'not-authorized', status: 403 }, medicationRequests: { kind: 'failed', status: 500, reason: 'the EHR answered 500' } },
    );
    expect(context.allergies).toEqual([]);
    expect(context.reads.allergies).toEqual({ state: 'not-authorized' });
    expect(describeReadState('allergies', context.reads.allergies)).toBe('Not authorized to read allergies');
    expect(describeReadState('medicationRequests', context.reads.medicationRequests)).toBe('Could not read medications: the EHR answered 500');
    expect(describeReadState('encounter', context.reads.encounter)).toBe('No encounter in context');
    expect(describeReadState('conditions', context.reads.conditions)).toBeUndefined();
  });
});

test('notes from a capped search reach the clinician as warnings', () => {
  const context = contextOf([], {
    medicationRequests: { kind: 'ok', value: { resourceType: 'Bundle', type: 'searchset', entry: [] }, notes: ['only the first 10 pages of results were read'] },
  });
  expect(context.warnings).toEqual(['Medications: only the first 10 pages of results were read']);
});

describe('buildPatientContext: medications by reference', () => {
  test('contained and included Medications are resolved; foreign and dangling references never crash', () => {
    const context = contextOf([
      {
        resourceType: 'MedicationRequest', id: 'contained', subject: ME, status: 'active', intent: 'order',
        contained: [{ resourceType: 'Medication', id: 'm1', code: { coding: [{ system: RXNORM, code: '856999', display: 'hydrocodone / APAP' }] },
          ingredient: [{ itemCodeableConcept: { coding: [{ system: RXNORM, code: '5489', display: 'hydrocodone' }] } }] }],
        medicationReference: { reference: '#m1' },
      },
      { resourceType: 'Medication', id: 'pregabalin', code: { text: 'pregabalin 75 MG', coding: [{ system: RXNORM, code: '483450' }] } },
      { resourceType: 'MedicationRequest', id: 'separate', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: 'Medication/pregabalin' } },
      { resourceType: 'MedicationRequest', id: 'foreign', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: 'https://elsewhere.example/fhir/Medication/9' } },
      { resourceType: 'MedicationRequest', id: 'dangling', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: 'Medication/missing', display: 'baclofen' } },
      { resourceType: 'MedicationRequest', id: 'nothing', subject: ME, status: 'active', intent: 'order', medicationReference: { reference: '#absent' } },
    ]);
    const byId = Object.fromEntries(context.medications.map((fact) => [fact.reference.split('/')[1], fact]));
    expect(byId.contained).toMatchObject({ display: 'hydrocodone / APAP', resolution: 'contained' });
    expect(byId.contained.ingredientCodings.map((coding) => coding.code)).toEqual(['5489']);
    expect(byId.separate).toMatchObject({ display: 'pregabalin 75 MG', resolution: 'included' });
    expect(byId.separate.codings[0]).toMatchObject({ knownSystem: 'rxnorm', code: '483450' });
    expect(byId.foreign).toMatchObject({ display: 'medication on another server', resolution: 'foreign', codings: [] });
    expect(byId.dangling).toMatchObject({ display: 'baclofen', resolution: 'unresolved' });
    expect(byId.nothing).toMatchObject({ display: 'unknown medication', resolution: 'unresolved' });
  });
});

describe('buildPatientContext: results and codes', () => {
  test('the latest HbA1c is chosen by date, not by list order', () => {
    const context = contextOf([hba1c('new', 8.4, '2026-10-01T09:00:00Z'), hba1c('old', 6.2, '2024-02-01'), hba1c('mid', 7.0, '2025-05-05')]);
    expect(context.latestHbA1c).toMatchObject({ reference: 'Observation/new', value: 8.4, unit: '%', effective: '2026-10-01T09:00:00Z' });
  });

  test('a result without a number is not a result', () => {
    const context = contextOf([hba1c('text', 'high', '2026-11-01'), hba1c('number', 7.2, '2020-01-01')]);
    expect(context.latestHbA1c?.reference).toBe('Observation/number');
  });

  test('ICD-10-CM codes are normalised for matching and kept as received, also under the OID', () => {
    const context = contextOf([
      { resourceType: 'Condition', id: 'c1', subject: ME, code: { coding: [
        { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'g89.4' },
        { system: 'urn:oid:2.16.840.1.113883.6.90', code: 'G47.33' },
      ] } },
    ]);
    expect(context.conditions[0].codings).toEqual([
      expect.objectContaining({ code: 'g89.4', normalized: 'G894', knownSystem: 'icd-10-cm' }),
      expect.objectContaining({ code: 'G47.33', normalized: 'G4733', knownSystem: 'icd-10-cm' }),
    ]);
    expect(context.conditions[0].display).toBe('condition with no description');
  });
});

describe('buildPatientContext: names, dates and languages', () => {
  test.each([
    ['1970', undefined],
    ['1970-05', undefined],
    ['1970-02-30', undefined],
    ['2030-01-01', undefined],
    ['1970-11-26', 55],
    ['1970-11-25', 56],
  ])('birth date %s gives age %s', (birthDate, age) => {
    const context = contextOf([], {}, patient({ birthDate }));
    expect(context.patient?.birthDate).toBe(birthDate);
    expect(context.patient?.ageYears).toBe(age);
  });

  test('bidi override and control characters are stripped, the letters kept', () => {
    const context = contextOf([], {}, patient({ name: [{ text: '  Ali\u202Ece\u0000 \u2066Smith\u2069\r\nJr\u0007 ' }] }));
    expect(context.patient?.name).toBe('Alice Smith Jr');
  });

  test('a 10 000-character name is capped at 200 characters with an ellipsis', () => {
    const context = contextOf([], {}, patient({ name: [{ text: 'A'.repeat(10_000) }] }));
    expect(Array.from(context.patient!.name!)).toHaveLength(200);
    expect(context.patient!.name!.endsWith('A…')).toBe(true);
  });

  test('official name before usual, text before parts; preferred language before the first', () => {
    const context = contextOf([], {}, patient({
      name: [{ use: 'old', text: 'Old Name' }, { use: 'usual', given: ['Jo'], family: 'Doe' }, { use: 'official', given: ['Joanna', 'M'], family: 'Doe' }],
      communication: [{ language: { coding: [{ code: 'en' }] } }, { preferred: true, language: { text: 'Español', coding: [{ code: 'es' }] } }],
    }));
    expect(context.patient).toMatchObject({ name: 'Joanna M Doe', preferredLanguage: { code: 'es', display: 'Español' } });
  });

  test('garbage where strings and lists belong never crashes', () => {
    const hostile = { resourceType: 'Patient', id: 'p1', name: 'Ada', birthDate: 19700101, gender: 'robot', communication: [{ language: 'en' }] };
    const context = contextOf(
      [{ resourceType: 'Condition', id: 'c1', subject: ME, code: { coding: 'G89.4', text: 42 } } as unknown as FhirResource],
      {},
      hostile as unknown as Patient,
    );
    expect(context.patient).toEqual({ id: 'p1' });
    expect(context.conditions).toEqual([expect.objectContaining({ display: 'condition with no description', codings: [] })]);
  });
});
