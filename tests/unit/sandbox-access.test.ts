import type { Resource } from '@medplum/fhirtypes';
import { loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';
import { assertPatientSearch, belongsToPatient, canSee, decideAccess, isPatientCompartmentType } from '../../server/sandbox/fhir/access';
import { DEFAULT_SIMULATION } from '../../server/sandbox/types';
import type { Grant } from '../../server/sandbox/types';

beforeAll(() => loadFhirDefinitions());

function grant(scopes: string[], deniedTypes: string[] = []): Grant {
  return {
    clientId: 'app',
    scopes,
    context: { patient: 'p1', user: 'u1', simulation: { ...DEFAULT_SIMULATION, deniedTypes } },
    ehrLaunch: true,
  };
}

const observation = (subject: string): Resource => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  subject: { reference: subject },
});

describe('decideAccess', () => {
  it('confines patient/ scopes to the launch patient and leaves user/ scopes unconfined', () => {
    expect(decideAccess(grant(['patient/Observation.rs']), 'Observation', 'search')).toEqual({ patient: 'p1' });
    expect(decideAccess(grant(['patient/Observation.rs', 'user/Observation.r']), 'Observation', 'read')).toEqual({});
  });

  it('refuses interactions no scope allows, and denied types whatever the scope', () => {
    expect(() => decideAccess(grant(['patient/Observation.r']), 'Observation', 'search')).toThrow(/do not allow search/);
    expect(() => decideAccess(grant(['patient/Observation.rs']), 'Condition', 'read')).toThrow();
    expect(() => decideAccess(grant(['patient/*.cruds'], ['Observation']), 'Observation', 'read')).toThrow(/not granted/);
  });
});

describe('patient compartment', () => {
  it('knows which types belong to a patient', () => {
    for (const type of ['Patient', 'Observation', 'Condition', 'AllergyIntolerance', 'Device', 'DocumentReference', 'Encounter']) {
      expect(isPatientCompartmentType(type)).toBe(true);
    }
    for (const type of ['Medication', 'Practitioner', 'Organization', 'Location']) {
      expect(isPatientCompartmentType(type)).toBe(false);
    }
  });

  it('decides ownership by subject or patient', () => {
    expect(belongsToPatient(observation('Patient/p1'), 'p1')).toBe(true);
    expect(belongsToPatient(observation('Patient/p2'), 'p1')).toBe(false);
    expect(belongsToPatient({ resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p1' } }, 'p1')).toBe(true);
    expect(belongsToPatient({ resourceType: 'Patient', id: 'p1' }, 'p1')).toBe(true);
    expect(belongsToPatient({ resourceType: 'Patient', id: 'p2' }, 'p1')).toBe(false);
  });

  it('lets confined access see non-compartment resources and only its patient’s others', () => {
    expect(canSee({ resourceType: 'Medication', id: 'm' }, { patient: 'p1' })).toBe(true);
    expect(canSee(observation('Patient/p2'), { patient: 'p1' })).toBe(false);
    expect(canSee(observation('Patient/p2'), {})).toBe(true);
  });
});

describe('assertPatientSearch', () => {
  const check = (type: string, query: string): void => assertPatientSearch(type, new URLSearchParams(query), 'p1');

  it('accepts searches limited to the patient by id or reference', () => {
    expect(() => check('Observation', 'patient=p1')).not.toThrow();
    expect(() => check('Observation', 'subject=Patient/p1&code=x')).not.toThrow();
    expect(() => check('Patient', '_id=p1')).not.toThrow();
    expect(() => check('Medication', 'code=x')).not.toThrow();
  });

  it('refuses searches that could reach other patients', () => {
    for (const [type, query] of [
      ['Observation', ''],
      ['Observation', 'code=x'],
      ['Observation', 'patient=p2'],
      ['Observation', 'patient=p1,p2'],
      ['Observation', 'patient=p1&subject=Patient/p2'],
      ['Observation', 'subject:Patient.name=x'],
      ['Patient', 'name=x'],
      ['Patient', '_id=Patient/p1'],
    ] as const) {
      expect(() => check(type, query)).toThrow(/limited to the patient in context/);
    }
  });
});
