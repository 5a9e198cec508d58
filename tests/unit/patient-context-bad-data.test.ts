/**
 * The chart mapping's choices among odd chart data: the latest result, codes, names and languages, and garbage that
 * must never crash it. The reviewer's bad-data cases (security research §6 F2–F12: dropped and kept records,
 * references, other patients, names, dates) are in tests/adversarial/f-chart-data.test.ts.
 */
import type { Bundle, FhirResource, Observation, Patient } from 'fhir/r4';
import { buildPatientContext, type PatientContext } from '../../server/chart/patient-context';
import type { ChartReadOutcomes } from '../../server/chart/read-chart';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';

const NOW = new Date('2026-11-25T12:00:00Z');
const ME = { reference: 'Patient/p1' };

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
