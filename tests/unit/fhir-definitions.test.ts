import fs from 'node:fs';
import path from 'node:path';
import type { DocumentReference } from 'fhir/r4';
import { WRITE_PROFILES, validateForProfile } from '../../fhir-resources/document-reference';
import { indexedStructureDefinitionCount, loadFhirDefinitions } from '../../fhir-resources/fhir-definitions';
import { EXAMPLES_DIR } from '../support/example-discussion';

/**
 * The app's note validation indexes only what DocumentReference needs, at its first use; the sandbox's full index
 * can come before or after it in the same process. Jest gives each test file its own module registry, so Medplum's
 * index starts empty here.
 */
const example = (profile: string): DocumentReference =>
  JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, `document-reference.${profile}.example.json`), 'utf8')) as DocumentReference;

test('nothing is indexed until the first validation, then DocumentReference and the types it uses only', () => {
  expect(indexedStructureDefinitionCount()).toBe(0);
  for (const profile of WRITE_PROFILES) {
    expect(() => validateForProfile(profile, example(profile))).not.toThrow();
  }
  const partial = indexedStructureDefinitionCount();
  expect(partial).toBeGreaterThan(40);
  expect(partial).toBeLessThan(80);
});

test('the partial index still catches structural errors', () => {
  const badDate = { ...example('us-core'), date: 'yesterday' };
  expect(() => validateForProfile('us-core', badDate)).toThrow(/date is not valid FHIR R4/);
  const unknownElement = { ...example('us-core'), bogus: true } as DocumentReference;
  expect(() => validateForProfile('us-core', unknownElement)).toThrow(/not valid FHIR R4/);
});

test('the full index (the sandbox\'s) adds the rest, and validation keeps working', () => {
  const partial = indexedStructureDefinitionCount();
  loadFhirDefinitions();
  expect(indexedStructureDefinitionCount()).toBeGreaterThan(partial + 100);
  expect(() => validateForProfile('epic', example('epic'))).not.toThrow();
  expect(() => validateForProfile('us-core', { ...example('us-core'), date: 'yesterday' })).toThrow(/date is not valid FHIR R4/);
});
