/**
 * The one rule for who may open or act on a discussion record: the same EHR (tenant and FHIR base) and patient to
 * view or reprint it; also the same clinician to change, attest or file it.
 */
import { accessibleDiscussion, mayAccessDiscussion } from '../../server/consent/discussion-access';
import { AppError } from '../../server/errors';

const launch = { tenantId: 'epic-a', fhirBaseUrl: 'https://ehr.example/fhir', patientId: 'p1', fhirUser: 'Practitioner/dr-1' };
const discussion = { tenantId: 'epic-a', fhirBaseUrl: 'https://ehr.example/fhir', patientId: 'p1', clinician: { fhirUser: 'Practitioner/dr-1' } };

describe('who may open or act on a discussion', () => {
  test('the clinician who holds it may view and act', () => {
    expect(mayAccessDiscussion(launch, discussion, 'view')).toBe(true);
    expect(mayAccessDiscussion(launch, discussion, 'act')).toBe(true);
  });

  test('another clinician of the same patient may view (reprint) but not act', () => {
    const nurse = { ...launch, fhirUser: 'Practitioner/rn-2' };
    expect(mayAccessDiscussion(nurse, discussion, 'view')).toBe(true);
    expect(mayAccessDiscussion(nurse, discussion, 'act')).toBe(false);
  });

  test('a launch without a signed-in user may not act', () => {
    const anonymous = { tenantId: launch.tenantId, fhirBaseUrl: launch.fhirBaseUrl, patientId: launch.patientId };
    expect(mayAccessDiscussion(anonymous, discussion, 'view')).toBe(true);
    expect(mayAccessDiscussion(anonymous, discussion, 'act')).toBe(false);
  });

  test.each([
    ['another patient', { patientId: 'p2' }],
    ['another tenant', { tenantId: 'oracle-b' }],
    ['the same patient id on another FHIR server', { fhirBaseUrl: 'https://other.example/fhir' }],
  ])('%s is neither viewed nor acted on', (_what, change) => {
    const elsewhere = { ...discussion, ...change };
    expect(mayAccessDiscussion(launch, elsewhere, 'view')).toBe(false);
    expect(mayAccessDiscussion(launch, elsewhere, 'act')).toBe(false);
  });

  test('a refusal and a missing record give the same 404', () => {
    const refused = (): unknown => accessibleDiscussion(launch, { ...discussion, patientId: 'p2' }, 'view');
    const missing = (): unknown => accessibleDiscussion(launch, undefined, 'view');
    for (const attempt of [refused, missing]) {
      expect(attempt).toThrow(AppError);
      try {
        attempt();
      } catch (error) {
        expect((error as AppError).status).toBe(404);
        expect((error as AppError).details).toEqual({ reason: 'discussion_unknown' });
      }
    }
    expect(accessibleDiscussion(launch, discussion, 'act')).toBe(discussion);
  });
});
