import { verifyIdToken } from '../../server/launch/id-token';
import type { TestIssuer } from '../support/oidc-issuer';
import { startTestIssuer } from '../support/oidc-issuer';

/**
 * Review findings on the identity the EHR's id_token gives (X1–X4): the token's times must be those of a token just
 * issued, the user must be a record on the launch's own FHIR server, and the display name must not reorder text.
 */
let issuer: TestIssuer;
const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  issuer = await startTestIssuer();
});

afterAll(async () => {
  await issuer.server.close();
});

test('X1: an id_token issued a year in the future is refused', async () => {
  const token = issuer.sign({ iat: now() + 365 * 86_400, exp: now() + 365 * 86_400 + 300 });
  await expect(verifyIdToken(token, issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
});

test('X2: an id_token that stays valid for ten years is refused; one of an hour is accepted', async () => {
  await expect(verifyIdToken(issuer.sign({ iat: now(), exp: now() + 10 * 365 * 86_400 }), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
  await expect(verifyIdToken(issuer.sign({ iat: now(), exp: now() + 3600 }), issuer.tenant, 'app')).resolves.toMatchObject({ subject: 'user-1' });
});

test('X2: an id_token without an issue time is refused', async () => {
  await expect(verifyIdToken(issuer.sign({ iat: undefined }), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
});

test('X3: a fhirUser on another FHIR server is not taken as the clinician', async () => {
  for (const foreign of ['https://evil.example/fhir/Practitioner/p1', `${issuer.server.origin}/other/Practitioner/p1`, `${issuer.fhirBase}x/Practitioner/p1`]) {
    await expect(verifyIdToken(issuer.sign({ fhirUser: foreign }), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
  }
  await expect(verifyIdToken(issuer.sign({ fhirUser: 'Practitioner/p1' }), issuer.tenant, 'app')).resolves.toMatchObject({ fhirUser: 'Practitioner/p1' });
  await expect(verifyIdToken(issuer.sign({ fhirUser: `${issuer.fhirBase}/Practitioner/p1` }), issuer.tenant, 'app')).resolves.toMatchObject({ fhirUser: `${issuer.fhirBase}/Practitioner/p1` });
});

test('X3: a fhirUser that is not a user record is refused', async () => {
  for (const odd of ['Patient/p1', 'javascript:alert(1)', 'Practitioner/', 'Practitioner/p1/_history/2x']) {
    await expect(verifyIdToken(issuer.sign({ fhirUser: odd }), issuer.tenant, 'app')).rejects.toThrow(/could not be verified/);
  }
});

test('X4: the name claim loses bidi controls and control characters', async () => {
  const identity = await verifyIdToken(issuer.sign({ name: 'Dr \u202eavir\u202c Rivera\u0007' }), issuer.tenant, 'app');
  expect(identity.name).toBe('Dr avir Rivera');
});
