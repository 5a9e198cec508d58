import { parseCreatedLocation } from '../../server/writeback/location';

/** The id of a created note from `Location`, in the shapes EHRs really send, and never a URL off the tenant's base. */
const BASE = 'https://ehr.example.org/fhir/r4/tenant-1';
const TYPE = 'DocumentReference';

describe('parseCreatedLocation', () => {
  test.each([
    ['absolute with _history (FHIR R4)', `${BASE}/DocumentReference/abc-123/_history/1`, { id: 'abc-123', versionId: '1' }],
    ['absolute without _history (Oracle Health)', `${BASE}/DocumentReference/197477773`, { id: '197477773' }],
    ['relative Type/id (Epic)', 'DocumentReference/eX1.y-2', { id: 'eX1.y-2' }],
    ['relative with _history', 'DocumentReference/9/_history/3', { id: '9', versionId: '3' }],
    ['path-absolute', '/fhir/r4/tenant-1/DocumentReference/77', { id: '77' }],
    ['with a trailing slash', `${BASE}/DocumentReference/77/`, { id: '77' }],
    ['with a query string', `${BASE}/DocumentReference/77?_format=json`, { id: '77' }],
    ['with spaces around it', `  ${BASE}/DocumentReference/77  `, { id: '77' }],
  ])('%s', (_name, location, expected) => {
    expect(parseCreatedLocation(location, BASE, TYPE)).toEqual({ ...expected, url: `${BASE}/DocumentReference/${expected.id}` });
  });

  test.each([
    ['absent', null],
    ['undefined', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('%s → undefined (the note is then found by a search)', (_name, location) => {
    expect(parseCreatedLocation(location, BASE, TYPE)).toBeUndefined();
  });

  test.each([
    ['another server', 'https://evil.example.com/fhir/r4/tenant-1/DocumentReference/1'],
    ['another tenant on the same server', 'https://ehr.example.org/fhir/r4/tenant-2/DocumentReference/1'],
    ['http instead of https', 'http://ehr.example.org/fhir/r4/tenant-1/DocumentReference/1'],
    ['a path escaping the base', `${BASE}/../tenant-2/DocumentReference/1`],
    ['credentials in the URL', 'https://user:pw@ehr.example.org/fhir/r4/tenant-1/DocumentReference/1'],
    ['another resource type', `${BASE}/Observation/1`],
    ['a type only', `${BASE}/DocumentReference`],
    ['an id with forbidden characters', `${BASE}/DocumentReference/a_b`],
    ['an id too long', `${BASE}/DocumentReference/${'a'.repeat(200)}`],
    ['not a URL at all', 'http://[::1'],
    ['a javascript: URL', 'javascript:alert(1)'],
  ])('%s → undefined (never followed with the token)', (_name, location) => {
    expect(parseCreatedLocation(location, BASE, TYPE)).toBeUndefined();
  });
});
