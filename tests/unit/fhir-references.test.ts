/**
 * Versioned references (`Type/id/_history/vid`). A version of the launch patient's own record is still that
 * patient: records that point at it are the patient's and must be read, or the handout could miss a blood thinner.
 * Anything else after `_history` — a missing version, extra segments, a `..` climbing out of the FHIR base — is not
 * a reference at all: it must neither be fetched with the EHR token nor count as the launch patient.
 */
import type { Bundle, BundleEntry, Condition, FhirResource, Medication, MedicationRequest, Patient } from 'fhir/r4';
import { patientIdOf } from '../../server/chart/chart-entries';
import { parseRelativeReference, referenceOfUrl } from '../../server/chart/fhir-url';
import { buildPatientContext, type PatientContext } from '../../server/chart/patient-context';
import { chartReadsFromBundle } from '../support/chart-reads-from-bundle';

const BASE = 'https://ehr.example/fhir/R4';
const NOW = new Date('2026-11-25T12:00:00Z');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** Suffixes after `_history` that are not a version id. */
const NOT_A_VERSION = ['/_history', '/_history/', '/_history/2/extra', '/_history/../../Practitioner/9', '/_history/2/_history/3', '/_history/%2e%2e', '/_history/2?x=1'];

describe('parseRelativeReference', () => {
  test('Type/id and Type/id/_history/vid name the same resource', () => {
    expect(parseRelativeReference('Patient/123')).toEqual({ type: 'Patient', id: '123' });
    expect(parseRelativeReference('Patient/123/_history/2')).toEqual({ type: 'Patient', id: '123' });
    expect(parseRelativeReference('Medication/med-1.a/_history/v-7')).toEqual({ type: 'Medication', id: 'med-1.a' });
  });

  test.each(NOT_A_VERSION)('Patient/123%s is not a reference', (suffix) => {
    expect(parseRelativeReference(`Patient/123${suffix}`)).toBeUndefined();
  });

  test('other paths below a resource are not references either', () => {
    for (const reference of ['Patient/123/Condition/9', 'Patient/123/history/2', 'Patient/123/', '/Patient/123']) {
      expect(parseRelativeReference(reference)).toBeUndefined();
    }
  });

  test('a URL under the base with a version names the resource; with anything else after _history, nothing', () => {
    expect(referenceOfUrl(`${BASE}/Patient/123/_history/2`, BASE)).toEqual({ type: 'Patient', id: '123' });
    expect(referenceOfUrl(`${BASE}/Patient/123/_history/2/extra`, BASE)).toBeUndefined();
    expect(referenceOfUrl(`${BASE}/Patient/123/_history`, BASE)).toBeUndefined();
  });
});

describe('patientIdOf: is this record the launch patient\'s?', () => {
  test('a versioned reference to the patient, relative or absolute, is the patient', () => {
    expect(patientIdOf('Patient/123/_history/2')).toBe('123');
    expect(patientIdOf(`${BASE}/Patient/123/_history/2`, BASE)).toBe('123');
    expect(patientIdOf('Patient/123')).toBe('123');
  });

  test('another patient with a version is another patient', () => {
    expect(patientIdOf('Patient/1234/_history/2')).toBe('1234');
    expect(patientIdOf('Patient/12/_history/3')).toBe('12');
  });

  test.each(NOT_A_VERSION.filter((suffix) => !/[?%]/.test(suffix)))('Patient/123%s is not Patient/123', (suffix) => {
    expect(patientIdOf(`Patient/123${suffix}`)).not.toBe('123');
  });
});

describe('versioned references in the chart', () => {
  const patient: Patient = { resourceType: 'Patient', id: 'p1', birthDate: '1970-06-15' };

  /** The chart as the EHR's searches answer it (the searches return these entries as they are). */
  function contextOf(answers: { conditions?: BundleEntry<Condition>[]; medicationRequests?: BundleEntry<MedicationRequest | Medication>[] }): PatientContext {
    const searchset = <T extends FhirResource>(entry: BundleEntry<T>[] = []): Bundle<T> => ({ resourceType: 'Bundle', type: 'searchset', entry });
    const reads = chartReadsFromBundle({ resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient }] }, { patientId: 'p1', fhirBase: BASE }, {
      overrides: {
        conditions: { kind: 'ok', value: searchset(answers.conditions) },
        medicationRequests: { kind: 'ok', value: searchset(answers.medicationRequests) },
      },
    });
    return buildPatientContext(reads, NOW);
  }

  const conditionFor = (id: string, reference: string): BundleEntry<Condition> => ({
    resource: { resourceType: 'Condition', id, subject: { reference }, code: { text: `condition ${id}` }, clinicalStatus: { coding: [{ code: 'active' }] } },
  });

  test('a record pointing at a version of the launch patient is kept; a look-alike is dropped', () => {
    const context = contextOf({
      conditions: [
        conditionFor('mine', 'Patient/p1/_history/3'),
        conditionFor('mine-absolute', `${BASE}/Patient/p1/_history/3`),
        conditionFor('other', 'Patient/p10/_history/3'),
        conditionFor('no-version', 'Patient/p1/_history/'),
        conditionFor('climbs', 'Patient/p1/_history/../../Patient/p2'),
        conditionFor('extra', 'Patient/p1/_history/3/Patient/p2'),
      ],
    });
    expect(context.conditions.map((fact) => fact.reference).sort()).toEqual(['Condition/mine', 'Condition/mine-absolute']);
    expect(context.warnings).toContain('4 resources not linked to this patient were ignored');
  });

  test('a versioned Medication reference resolves to the included Medication', () => {
    const context = contextOf({
      medicationRequests: [
        { resource: { resourceType: 'MedicationRequest', id: 'mr', subject: { reference: 'Patient/p1' }, status: 'active', intent: 'order', medicationReference: { reference: 'Medication/apixaban/_history/4' } } },
        { resource: { resourceType: 'Medication', id: 'apixaban', code: { coding: [{ system: RXNORM, code: '1364445', display: 'apixaban 5 MG Oral Tablet' }] } }, search: { mode: 'include' } },
      ],
    });
    expect(context.medications).toEqual([expect.objectContaining({ reference: 'MedicationRequest/mr', display: 'apixaban 5 MG Oral Tablet', resolution: 'included' })]);
  });
});
