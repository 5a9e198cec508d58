import type { PractitionerFacts, ReadState } from '../../server/chart/patient-context';
import { DEFAULT_ATTESTATION_POLICY } from '../../server/config';
import { permissionsOf, rolesOf } from '../../server/consent/signer-role';

const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0360';
const NUCC = 'http://nucc.org/provider-taxonomy';
const OK: ReadState = { state: 'ok' };
const USER = 'https://ehr.example/fhir/Practitioner/1';

const user = (...qualifications: Array<{ system?: string; code?: string; display?: string }>): PractitionerFacts =>
  ({ reference: 'Practitioner/1', qualifications });

describe('rolesOf reads coded qualifications only', () => {
  test.each([
    [[{ system: V2, code: 'MD' }], ['physician']],
    [[{ system: V2, code: 'D.O.' }], ['physician']],
    [[{ system: `${V2}|2.7`, code: 'np' }], ['nurse-practitioner']],
    [[{ system: V2, code: 'PA' }], ['physician-assistant']],
    [[{ system: V2, code: 'RN' }], ['nurse']],
    [[{ system: NUCC, code: '208VP0014X' }], ['physician']],
    [[{ system: NUCC, code: '363L00000X' }], ['nurse-practitioner']],
    [[{ system: NUCC, code: '363A00000X' }], ['physician-assistant']],
    [[{ system: NUCC, code: '163W00000X' }], ['nurse']],
    [[{ system: V2, code: 'RN' }, { system: NUCC, code: '363L00000X' }], ['nurse-practitioner', 'nurse']],
  ])('%j → %j', (codings, roles) => {
    expect(rolesOf(user(...codings))).toEqual(roles);
  });

  test('free text, unknown systems and unknown codes grant nothing', () => {
    expect(rolesOf(user({ display: 'Doctor of Medicine' }))).toEqual([]);
    expect(rolesOf(user({ system: 'urn:oid:1.2.3', code: 'MD' }))).toEqual([]);
    expect(rolesOf(user({ system: V2, code: 'BA' }))).toEqual([]);
    expect(rolesOf(undefined)).toEqual([]);
  });
});

describe('permissionsOf', () => {
  test('the default policy lets physicians, nurse practitioners and physician assistants attest and file', () => {
    for (const code of ['MD', 'NP', 'PA']) {
      expect(permissionsOf(DEFAULT_ATTESTATION_POLICY, USER, user({ system: V2, code }), OK)).toMatchObject({ attest: true, file: true, reason: null });
    }
  });

  test('a nurse is refused with the roles that may', () => {
    const p = permissionsOf(DEFAULT_ATTESTATION_POLICY, USER, user({ system: V2, code: 'RN' }), OK);
    expect(p).toMatchObject({ attest: false, file: false, roles: ['nurse'] });
    expect(p.reason).toContain('Only a physician, nurse practitioner or physician assistant may attest');
  });

  test('a tenant may let nurses attest', () => {
    const policy = { roles: ['physician', 'nurse'] as const, users: [] };
    expect(permissionsOf(policy, USER, user({ system: V2, code: 'RN' }), OK).attest).toBe(true);
    expect(permissionsOf(policy, USER, user({ system: V2, code: 'PA' }), OK).attest).toBe(false);
  });

  test('the documented fallback: users listed by fhirUser may attest whatever their record says', () => {
    const policy = { ...DEFAULT_ATTESTATION_POLICY, users: [USER] };
    expect(permissionsOf(policy, USER, undefined, { state: 'not-authorized' }).attest).toBe(true);
    expect(permissionsOf(policy, 'https://ehr.example/fhir/Practitioner/2', undefined, OK).attest).toBe(false);
  });

  test('an unreadable user record or a missing fhirUser is said, not guessed', () => {
    expect(permissionsOf(DEFAULT_ATTESTATION_POLICY, USER, undefined, { state: 'failed', reason: 'EHR answered 500' }).reason).toMatch(/could not be read/);
    expect(permissionsOf(DEFAULT_ATTESTATION_POLICY, undefined, undefined, OK).reason).toMatch(/did not say who is signed in/);
    expect(permissionsOf(DEFAULT_ATTESTATION_POLICY, USER, user(), OK).reason).toMatch(/does not state a clinical qualification/);
  });
});
